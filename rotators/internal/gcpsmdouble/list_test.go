package gcpsmdouble_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/codes"
)

func TestTestDoubleListSecretsPages(t *testing.T) {
	c, first := newTestDoubleClient(t, 1)
	ctx := context.Background()
	for i := range 60 {
		_, err := c.CreateSecret(ctx, &secretmanagerpb.CreateSecretRequest{Parent: "projects/test-project", SecretId: fmt.Sprintf("s-%02d", i),
			Secret: &secretmanagerpb.Secret{Replication: &secretmanagerpb.Replication{Replication: &secretmanagerpb.Replication_Automatic_{Automatic: &secretmanagerpb.Replication_Automatic{}}}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		pageSize  int32
		wantPages int
	}{{7, 9}, {25, 3}, {100, 1}}
	for _, tc := range tests {
		it := c.ListSecrets(ctx, &secretmanagerpb.ListSecretsRequest{Parent: "projects/test-project", PageSize: tc.pageSize})
		seen, pages, pager := map[string]bool{}, 0, iterator.NewPager(it, int(tc.pageSize), "")
		for {
			var page []*secretmanagerpb.Secret
			tok, err := pager.NextPage(&page)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, s := range page {
				seen[s.Name] = true
			}
			if tok == "" {
				break
			}
		}
		if len(seen) != 61 || !seen[first] || pages != tc.wantPages {
			t.Errorf("page size %d: got %d secrets over %d pages, want 61 over %d", tc.pageSize, len(seen), pages, tc.wantPages)
		}
	}
	// page_size 0: the server's pages, followed by the iterator.
	it, n := c.ListSecrets(ctx, &secretmanagerpb.ListSecretsRequest{Parent: "projects/test-project"}), 0
	for _, err := it.Next(); !errors.Is(err, iterator.Done); _, err = it.Next() {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 61 {
		t.Errorf("default page size: got %d secrets, want 61", n)
	}
	_, err := c.ListSecrets(ctx, &secretmanagerpb.ListSecretsRequest{Parent: "projects/test-project", Filter: "labels.a=b"}).Next()
	wantCode(t, "list with a filter", err, codes.InvalidArgument)
}

func TestTestDoubleListVersionsNewestFirst(t *testing.T) {
	c, name := newTestDoubleClient(t, 30)
	it := c.ListSecretVersions(context.Background(), &secretmanagerpb.ListSecretVersionsRequest{Parent: name})
	var got []string
	for {
		v, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v.Name)
	}
	if len(got) != 30 || got[0] != name+"/versions/30" || got[29] != name+"/versions/1" {
		t.Errorf("got %d versions from %v to %v, want 30 from 30 down to 1", len(got), got[0], got[len(got)-1])
	}
}
