package inventory

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Record is one line of the report. Times are RFC 3339 in UTC, empty (CSV)
// or null (JSON) when unknown. It holds no value, hash or fingerprint.
type Record struct {
	Secret          string     `json:"secret"`
	Created         *time.Time `json:"created"`
	CurrentVersion  string     `json:"current_version"`
	CurrentSince    *time.Time `json:"current_since"`
	LastRotated     *time.Time `json:"last_rotated"`
	Rotation        string     `json:"rotation"`
	Strategy        string     `json:"strategy"`
	Versions        int        `json:"versions"`
	PendingLeftOver bool       `json:"pending_left_over"`
	PendingRotation string     `json:"pending_rotation"`
	PendingSince    *time.Time `json:"pending_since"`
	NextDue         *time.Time `json:"next_due"`
	Overdue         bool       `json:"overdue"`
}

// NewRecord judges facts at now: the next rotation is due max-age after
// CURRENT became current (its promotion, or its writing for a secret never
// rotated), and is overdue once that has passed. A secret whose CURRENT
// time is unknown is overdue: an auditor cannot prove its age.
func NewRecord(f Facts, now time.Time, maxAge time.Duration) Record {
	r := Record{Secret: f.Secret, Created: tp(f.Created), CurrentVersion: f.CurrentVersion, CurrentSince: tp(f.CurrentSince),
		LastRotated: tp(f.LastRotated), Rotation: f.Rotation, Strategy: f.Strategy, Versions: f.Versions,
		PendingLeftOver: f.Pending, PendingRotation: f.PendingRot, PendingSince: tp(f.PendingSince), Overdue: true}
	if !f.CurrentSince.IsZero() {
		due := f.CurrentSince.Add(maxAge).UTC()
		r.NextDue, r.Overdue = &due, !now.Before(due)
	}
	return r
}

func tp(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// Counts sums a report.
type Counts struct {
	Total, Overdue, Stuck, NeverRotated int
}

// Add counts one record.
func (c *Counts) Add(r Record) {
	c.Total++
	if r.Overdue {
		c.Overdue++
	}
	if r.PendingLeftOver {
		c.Stuck++
	}
	if r.LastRotated == nil {
		c.NeverRotated++
	}
}

var csvHeader = []string{"secret", "created", "current_version", "current_since", "last_rotated", "rotation", "strategy",
	"versions", "pending_left_over", "pending_rotation", "pending_since", "next_due", "overdue"}

func (r Record) csvRow() []string {
	return []string{cell(r.Secret), ts(r.Created), cell(r.CurrentVersion), ts(r.CurrentSince), ts(r.LastRotated),
		cell(r.Rotation), cell(r.Strategy), strconv.Itoa(r.Versions), strconv.FormatBool(r.PendingLeftOver),
		cell(r.PendingRotation), ts(r.PendingSince), ts(r.NextDue), strconv.FormatBool(r.Overdue)}
}

func ts(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.RFC3339)
}

// cell keeps a spreadsheet from reading a name as a formula (AWS names may
// start with = + - @).
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteJSONL writes one JSON object per record.
func WriteJSONL(w io.Writer, recs []Record) error {
	enc := json.NewEncoder(w)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	return nil
}

// WriteCSV writes a header line and one row per record.
func WriteCSV(w io.Writer, recs []Record) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(csvHeader)
	for _, r := range recs {
		_ = cw.Write(r.csvRow())
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// writeFile writes a report next to its final name and renames it, so a
// flow never keeps half a report.
func writeFile(path string, recs []Record, write func(io.Writer, []Record) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	defer os.Remove(f.Name()) // no-op after the rename
	_ = f.Chmod(0o644)        // no value inside; the worker uploading outputFiles may be another user
	if err := write(f, recs); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}
