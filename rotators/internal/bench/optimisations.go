package main

import (
	"fmt"
	"strings"
)

// renderOptimisations states each optimisation with its before and after,
// both taken from this run's tables where the old way could be built in
// the same run (unstripped binaries; -old-src for code changes).
func renderOptimisations(w *strings.Builder, res *results) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("")
	p("## Optimisations, before and after")
	p("")
	p("| change | before | after |")
	p("|---|---|---|")
	if z := res.sizes; z != nil && z.byVariant["before"] != nil && z.byVariant["percmd"] != nil {
		p("| `make build` strips symbols and DWARF (`-ldflags=\"-s -w\"`, with `-trimpath`; `docker/build.sh` already did) | %s for every command (before) | %s (percmd); start-up unchanged: see `--version` |",
			mb(z.total(find(res.variants, "before"))), mb(z.total(find(res.variants, "percmd"))))
	}
	old, cur := stepOf(res.steps, "old"), stepOf(res.steps, "multi")
	if old.n > 0 && cur.n > 0 {
		p("| no regular expression with counted repetitions compiled at start (`rotators/gcpsm`, `rotators/azkv`: `{0,62}` compiled to about 4,000 allocations, about 1 ms, in every command of the multi-call binary); see the init table | `--version` %s (old) | %s (multi) |", ms(old.wall), ms(cur.wall))
	}
	oldRot, curRot := rotOf(res.rots, "pg", "old"), rotOf(res.rots, "pg", "multi")
	if oldRot.n > 0 && curRot.n > 0 {
		p("| target steps read the stages they need (and the admin secret) through their `<store>-get` helpers at once instead of one after the other (`rotators/step`: `prefetch`; deploy starts 4 helpers, revoke 3); the figures include the row above (13 processes per rotation) | PostgreSQL rotation %s (old) | %s (multi) |", ms(oldRot.wall), ms(curRot.wall))
	}
	one, fam := stepOf(res.steps, "onebin"), stepOf(res.steps, "multi")
	oneIAM, famIAM := rotOf(res.rots, "iam", "onebin"), rotOf(res.rots, "iam", "multi")
	if one.n > 0 && fam.n > 0 || oneIAM.n > 0 && famIAM.n > 0 {
		p("| the image's one multi-call binary split into one per SDK family, `rotation-pack-<family>` (Vault; AWS; Azure; GCP; the database targets, which read secrets only through helpers): a step links and initialises only its own SDK (see the init table; sizes: onebin against multi) | `--version` %s, IAM rotation %s (onebin) | %s, %s (multi) |",
			ms(one.wall), ms(oneIAM.wall), ms(fam.wall), ms(famIAM.wall))
	}
	p("")
	p("Rows with an `old` figure need `-old-src` (a tree of the earlier code, e.g. `git archive <commit> | tar -x -C /tmp/old`);")
	p("without it only the stripping and family-split rows can be measured in the same run.")
	p("")
	p("The Vault store no longer reads back what it has just written: `vault-stage` makes 3 requests")
	p("instead of 4 and `vault-promote` 6 instead of 7 (about 1 ms per request here). Also seen and not")
	p("changed: `vault-promote` still reads PENDING twice (the step checks it before the store promotes);")
	p("the IAM rotation makes about 29 requests to moto (counted once by hand in moto's request log: lock, staging labels, the deploy tag that makes a")
	p("killed deploy recoverable, STS validation, last-use check) where the guide's flow makes 3, and")
	p("moto answers each in milliseconds, which bounds the IAM ratio whatever the start-up costs.")
}

func find(vs []*variant, key string) *variant {
	for _, v := range vs {
		if v.key == key {
			return v
		}
	}
	return &variant{key: key}
}

// stepOf is the --version figure of a build.
func stepOf(rows []stepRow, key string) stat {
	for _, r := range rows {
		if strings.Contains(r.call, "--version") {
			return r.ours[key]
		}
	}
	return stat{}
}

// rotOf is the rotation figure of a build in a group ("pg" or "iam").
func rotOf(rows []rotRow, group, key string) stat {
	for _, r := range rows {
		if r.group == group && r.variant == key {
			return r.st
		}
	}
	return stat{}
}
