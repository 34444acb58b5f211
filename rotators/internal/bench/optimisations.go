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
	oldRot, curRot := rotOf(res.rots, "old"), rotOf(res.rots, "multi")
	if oldRot.n > 0 && curRot.n > 0 {
		p("| target steps read the stages they need (and the admin secret) through their `<store>-get` helpers at once instead of one after the other (`rotators/step`: `prefetch`; deploy starts 4 helpers, revoke 3); the figures include the row above (13 processes per rotation) | PostgreSQL rotation %s (old) | %s (multi) |", ms(oldRot.wall), ms(curRot.wall))
	}
	p("")
	p("Rows with an `old` figure need `-old-src` (a tree of the earlier code, e.g. `git archive <commit> | tar -x -C /tmp/old`);")
	p("without it only the stripping row can be measured in the same run.")
	p("")
	p("Not done, with the numbers that argue for it: the multi-call binary initialises every SDK at each")
	p("start (see the init table: multi against percmd), which makes a step several milliseconds and")
	p("about 15 MiB RSS dearer than a binary linking one SDK. Splitting it into one multi-call binary per")
	p("SDK family (Vault; AWS; Azure; GCP; the database targets, which read secrets only through helpers)")
	p("gives each command the start-up of the percmd column for about 58 MB of binaries instead of 40 MB")
	p("(a by-hand build of the Vault and database families started as fast as the per-command binaries).")
	p("It changes `rotators/pack`, `docker/build.sh` and the image tests, so it is left as a proposal.")
	p("")
	p("Also seen and not changed: in the Vault requests table, `vault-stage` reads PENDING twice and")
	p("`vault-promote` reads PENDING and CURRENT twice each (about 1 ms per request here); the IAM")
	p("rotation makes about 29 requests to moto (counted once by hand in moto's request log: lock, staging labels, the deploy tag that makes a")
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

// rotOf is the PostgreSQL rotation figure of a build.
func rotOf(rows []rotRow, key string) stat {
	for _, r := range rows {
		if r.group == "pg" && r.variant == key {
			return r.st
		}
	}
	return stat{}
}
