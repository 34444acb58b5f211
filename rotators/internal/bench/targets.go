package main

import (
	"fmt"
	"runtime"
	"strings"
)

// check is one target of issue 9, judged on this run's ratios.
type check struct {
	target, measured string
	met              *bool // nil: could not be judged in this run
}

func yes(b bool) *bool { return &b }

func renderTargets(w *strings.Builder, res *results) {
	var cs []check
	cs = append(cs, stepChecks(res.steps)...)
	cs = append(cs, rotationChecks(res.rots)...)
	cs = append(cs, fleetChecks(res.fleet)...)
	if res.sizes != nil {
		cs = append(cs, imageCheck(res.sizes))
	}
	fmt.Fprintf(w, "\n## Targets (issue 9), judged on this run\n\n| target | measured | met |\n|---|---|---|\n")
	for _, c := range cs {
		met := "not judged"
		if c.met != nil {
			met = map[bool]string{true: "yes", false: "**no**"}[*c.met]
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", c.target, c.measured, met)
	}
}

func imageSize(z *sizes) string {
	if z.image == "" {
		return z.imageNote
	}
	return mb(z.imageGzip) + " compressed, " + mb(z.imageBytes) + " uncompressed"
}

func stepChecks(rows []stepRow) []check {
	var cs []check
	for _, r := range rows {
		for _, key := range []string{"multi", "percmd"} {
			ours, ok := r.ours[key]
			if !ok {
				continue
			}
			if r.bao.n > 0 {
				q := float64(ours.wall) / float64(r.bao.wall)
				cs = append(cs, check{target: fmt.Sprintf("%s: %s at most `bao`'s time", short(r.call), key),
					measured: fmt.Sprintf("%s vs %s (%.2f×)", ms(ours.wall), ms(r.bao.wall), q), met: yes(q <= 1)})
			}
			if r.aws.n > 0 {
				q := float64(r.aws.wall) / float64(ours.wall)
				cs = append(cs, check{target: fmt.Sprintf("%s: %s at least 50× below `aws`", short(r.call), key),
					measured: fmt.Sprintf("%s vs %s (%.0f×)", ms(ours.wall), ms(r.aws.wall), q), met: yes(q >= 50)})
			}
		}
	}
	return cs
}

// short is the call's name up to its first colon or parenthesis.
func short(call string) string {
	if i := strings.IndexAny(call, ":("); i > 0 {
		return strings.TrimSpace(call[:i])
	}
	return call
}

func rotationChecks(rows []rotRow) []check {
	var cs []check
	base := map[string]stat{}
	for _, r := range rows {
		if _, ok := base[r.group]; r.base && !ok {
			base[r.group] = r.st
		}
	}
	for _, r := range rows {
		if r.base {
			continue
		}
		switch b := base[r.group]; r.group {
		case "pg":
			q := float64(r.st.wall) / float64(b.wall)
			cs = append(cs, check{target: "PostgreSQL rotation within 3× of `rotate-role` (" + r.how + ")",
				measured: fmt.Sprintf("%s vs %s (%.1f×)", ms(r.st.wall), ms(b.wall), q), met: yes(q <= 3)})
		case "iam":
			q := float64(b.wall) / float64(r.st.wall)
			cs = append(cs, check{target: "IAM rotation at least 20× faster than the guide's flow (" + r.how + ")",
				measured: fmt.Sprintf("%s vs %s (%.1f×)", ms(r.st.wall), ms(b.wall), q), met: yes(q >= 20)})
		}
	}
	return cs
}

// fleetChecks: throughput rises with each level up to the core count, and
// nothing fails.
func fleetChecks(rows []fleetRow) []check {
	if rows == nil {
		return nil
	}
	cores := runtime.NumCPU()
	var cs []check
	errs := 0
	for _, target := range []string{"Redis ACL users", "PostgreSQL roles"} {
		var rates []string
		rising, prev := true, 0.0
		for _, r := range rows {
			if r.target != target {
				continue
			}
			errs += r.errors
			rates = append(rates, fmt.Sprintf("%d: %.1f/s", r.parallel, r.perSecond()))
			if r.parallel <= cores {
				rising = rising && r.perSecond() > prev
				prev = r.perSecond()
			}
		}
		cs = append(cs, check{target: fmt.Sprintf("%s: throughput rising up to %d in parallel (the core count)", target, cores),
			measured: strings.Join(rates, ", "), met: yes(rising)})
	}
	return append(cs, check{target: "fleet without errors", measured: fmt.Sprintf("%d errors", errs), met: yes(errs == 0)})
}

// imageCheck compares our uncompressed image with the AWS CLI's own files,
// a lower bound of the official image (see awsCLIFloor): smaller than the
// floor is smaller than the image.
func imageCheck(z *sizes) check {
	c := check{target: "image smaller than the official AWS CLI image", measured: "ours " + imageSize(z)}
	if z.image == "" || z.awsFloor == 0 {
		c.measured += "; `amazon/aws-cli` not measurable here (" + z.awsNote + ")"
		return c
	}
	c.measured += fmt.Sprintf("; the AWS CLI's own files alone (%s, no Python, no OS: a lower bound of `amazon/aws-cli`) %s", z.awsNote, mb(z.awsFloor))
	c.met = yes(z.imageBytes < z.awsFloor)
	return c
}
