package kubernetes

import (
	"errors"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr bool
		wantNS  string
		wantCon string
	}{
		{"name only", map[string]string{"KUBE_SECRET": "app-db"}, false, "", ""},
		{"namespace and consumers", map[string]string{"KUBE_SECRET": "shop/app-db", "KUBE_CONSUMERS": "deployment/app, sts/db,ds/agent"}, false, "shop", "deployment/app,statefulset/db,daemonset/agent"},
		{"selector", map[string]string{"KUBE_SECRET": "app-db", "KUBE_CONSUMER_SELECTOR": "app in (a,b)"}, false, "", "selector app in (a,b)"},
		{"missing secret", map[string]string{}, true, "", ""},
		{"bad secret name", map[string]string{"KUBE_SECRET": "shop/App_DB"}, true, "", ""},
		{"bad namespace", map[string]string{"KUBE_SECRET": "../x/app"}, true, "", ""},
		{"bad kind", map[string]string{"KUBE_SECRET": "a", "KUBE_CONSUMERS": "job/x"}, true, "", ""},
		{"bad keys json", map[string]string{"KUBE_SECRET": "a", "KUBE_SECRET_KEYS": "password"}, true, "", ""},
		{"bad key name", map[string]string{"KUBE_SECRET": "a", "KUBE_SECRET_KEYS": `{"a b":"{password}"}`}, true, "", ""},
		{"bad template", map[string]string{"KUBE_SECRET": "a", "KUBE_SECRET_KEYS": `{"p":"{password"}`}, true, "", ""},
		{"bad selector", map[string]string{"KUBE_SECRET": "a", "KUBE_CONSUMER_SELECTOR": "a in ("}, true, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseConfig(func(k string) string { return tc.env[k] })
			if (err != nil) != tc.wantErr {
				t.Fatalf("got error %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				if !errors.Is(err, core.ErrUsage) {
					t.Errorf("got %v, want ErrUsage", err)
				}
				return
			}
			if c.namespace != tc.wantNS || c.describeConsumers() != tc.wantCon {
				t.Errorf("got namespace %q consumers %q, want %q %q", c.namespace, c.describeConsumers(), tc.wantNS, tc.wantCon)
			}
		})
	}
}

func TestRender(t *testing.T) {
	v, err := core.ParseValue([]byte(`{"username":"app","password":"p@ss w/rd:+%","host":"db","port":5432,"dbname":"shop"}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		keys    map[string]string
		want    map[string]string
		wantErr bool
	}{
		{map[string]string{"DATABASE_URL": "postgresql://{username}:{password:url}@{host}:{port}/{dbname}"},
			map[string]string{"DATABASE_URL": "postgresql://app:p%40ss%20w%2Frd%3A%2B%25@db:5432/shop"}, false},
		{map[string]string{"password": "{password}"}, map[string]string{"password": "p@ss w/rd:+%"}, false},
		{nil, map[string]string{"username": "app", "password": "p@ss w/rd:+%", "host": "db", "port": "5432", "dbname": "shop"}, false},
		{map[string]string{"x": "{nosuch}"}, nil, true},
	}
	for _, tc := range tests {
		got, err := config{keys: tc.keys}.render(v)
		if (err != nil) != tc.wantErr {
			t.Fatalf("keys %v: got error %v, want error %v", tc.keys, err, tc.wantErr)
		}
		if len(got) != len(tc.want) {
			t.Errorf("keys %v: got %d keys, want %d", tc.keys, len(got), len(tc.want))
		}
		for k, w := range tc.want {
			if string(got[k]) != w {
				t.Errorf("keys %v: key %s: got %q, want %q", tc.keys, k, got[k], w)
			}
		}
	}
}
