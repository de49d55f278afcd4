package main

import (
	"flag"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/aimlite/aimlite/pkg/controller"
)

func parse(t *testing.T, args ...string) options {
	t.Helper()
	o := defaultOptions()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	o.bindFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestOptionsValidate(t *testing.T) {
	t.Setenv("AIM_SYSTEM_NAMESPACE", "ops")
	o := parse(t, "--leader-elect")
	if err := o.validate(); err != nil {
		t.Fatal(err)
	}
	if o.systemNamespace != "ops" || o.leader.Namespace != "ops" || o.leader.Name != "aimlite-leader" {
		t.Fatalf("system ns %q, lease %s/%s", o.systemNamespace, o.leader.Namespace, o.leader.Name)
	}
	o = parse(t, "--system-namespace=mine")
	if err := o.validate(); err != nil || o.leader.Namespace != "mine" {
		t.Fatalf("lease namespace %q does not follow --system-namespace (%v)", o.leader.Namespace, err)
	}
	if o.rest.QPS != 50 || o.rest.Burst != 100 || o.queue.Workers != 2 {
		t.Fatalf("defaults: rest %+v queue %+v", o.rest, o.queue)
	}
	for _, bad := range [][]string{{"--namespace=a,Not_A_Namespace"}, {"--log-format=xml"}, {"--workers=0"}} {
		o := parse(t, bad...)
		if err := o.validate(); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestNamespaceList(t *testing.T) {
	if o := parse(t); len(o.namespaces) != 0 {
		t.Fatalf("default must watch all namespaces, got %q", o.namespaces)
	}
	o := parse(t, "--namespace=team-a, team-b", "--namespace", "team-c,team-a,")
	if err := o.validate(); err != nil {
		t.Fatal(err)
	}
	if got := o.namespaces.String(); got != "team-a,team-b,team-c" {
		t.Fatalf("namespaces = %q, want team-a,team-b,team-c (trimmed, repeated flag appended, duplicates dropped)", got)
	}
	// Children are also watched in the system namespace (discovery Jobs of cluster-scoped templates).
	o.systemNamespace = "aim-system"
	if got := o.childNamespaces(); strings.Join(got, ",") != "team-a,team-b,team-c,aim-system" || len(o.namespaces) != 3 {
		t.Fatalf("child namespaces = %q (watched %q)", got, o.namespaces)
	}
	o.systemNamespace = "team-b"
	if got := o.childNamespaces(); len(got) != 3 {
		t.Fatalf("child namespaces = %q: the system namespace is already watched", got)
	}
	if o := parse(t); o.childNamespaces() != nil {
		t.Fatalf("all namespaces: child namespaces = %q", o.childNamespaces())
	}
}

func TestManagedBySelector(t *testing.T) {
	vals := managedByValues()
	if len(vals) != 10 {
		t.Fatalf("managed-by values = %v", vals)
	}
	s, err := controller.LabelSelector("app.kubernetes.io/managed-by", vals...)
	if err != nil {
		t.Fatal(err)
	}
	sel, err := labels.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"aim-service-controller", "aim-artifact-controller", "aim-cluster-service-template-controller", "aim-engine", "aim-controller"} {
		if !sel.Matches(labels.Set{"app.kubernetes.io/managed-by": v}) {
			t.Errorf("selector %q misses %s", s, v)
		}
	}
	if sel.Matches(labels.Set{"app.kubernetes.io/managed-by": "Helm"}) {
		t.Error("selector matches foreign objects")
	}
}
