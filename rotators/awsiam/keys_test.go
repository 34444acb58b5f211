package awsiam

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

func TestRoomPlan(t *testing.T) {
	start := time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)
	old := start.Add(-24 * time.Hour)
	cur, prev := accessKey{ID: "AKCUR", Created: old, Active: true}, accessKey{ID: "AKPREV", Created: old.Add(-time.Hour), Active: true}
	known := map[string]bool{"AKCUR": true, "AKPREV": true}
	ours := deployTag{Rotation: "r1", Start: start}
	tests := []struct {
		name     string
		keys     []accessKey
		tag      deployTag
		want     []string
		wantErr  error
		errNames string
	}{
		{name: "room for one more", keys: []accessKey{cur}},
		{name: "inactive stranger deleted", keys: []accessKey{cur, {ID: "AKOLD", Created: old, Active: false}}, want: []string{"AKOLD"}},
		{name: "active stranger blocks", keys: []accessKey{cur, {ID: "AKOTHER", Created: old, Active: true}}, wantErr: core.ErrConflict, errNames: "AKOTHER"},
		{name: "current and previous block", keys: []accessKey{cur, prev}, wantErr: core.ErrConflict, errNames: "awsiam-revoke"},
		{name: "inactive previous is kept and blocks", keys: []accessKey{cur, {ID: "AKPREV", Created: old, Active: false}}, wantErr: core.ErrConflict, errNames: "AKPREV"},
		{name: "key minted by an interrupted run (id known)", keys: []accessKey{cur, {ID: "AKLOST", Created: start, Active: true}},
			tag: deployTag{Rotation: "r1", Start: start, KeyID: "AKLOST"}, want: []string{"AKLOST"}},
		{name: "key minted by an interrupted run (id not recorded)", keys: []accessKey{cur, {ID: "AKLOST", Created: start.Add(time.Second), Active: true}},
			tag: ours, want: []string{"AKLOST"}},
		{name: "another rotation's key is not ours", keys: []accessKey{cur, {ID: "AKLOST", Created: start, Active: true}},
			tag: deployTag{Rotation: "r0", Start: start}, wantErr: core.ErrConflict, errNames: "AKLOST"},
		{name: "older stranger is not ours", keys: []accessKey{cur, {ID: "AKOTHER", Created: old, Active: true}},
			tag: ours, wantErr: core.ErrConflict, errNames: "AKOTHER"},
	}
	for _, tc := range tests {
		got, err := roomPlan(tc.keys, known, tc.tag, "r1")
		if tc.wantErr != nil {
			if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.errNames) {
				t.Errorf("%s: got %v, want %v naming %s", tc.name, err, tc.wantErr, tc.errNames)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}

func TestDeployTagRoundTrip(t *testing.T) {
	tests := []deployTag{
		{Rotation: "4kTq7mX", Start: time.Unix(1790000000, 0)},
		{Rotation: "exec:1.2_3", Start: time.Unix(1790000001, 0), KeyID: "AKIAEXAMPLE"},
	}
	for _, want := range tests {
		got, ok := parseTag(want.String())
		if !ok || got.Rotation != want.Rotation || !got.Start.Equal(want.Start) || got.KeyID != want.KeyID {
			t.Errorf("parseTag(%q) = %+v, %v; want %+v", want.String(), got, ok, want)
		}
	}
	for _, bad := range []string{"", "r1", "r1 notanumber"} {
		if _, ok := parseTag(bad); ok {
			t.Errorf("parseTag(%q): got ok, want refused", bad)
		}
	}
}
