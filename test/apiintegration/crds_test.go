package apiintegration

import (
	"context"
	"sort"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"

	"github.com/aimlite/aimlite/internal/localcluster"
	aimv1alpha1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
)

// TestCRDsServerSideApply re-applies manifests/crds with server-side apply (testenv applied them at
// start) and checks that re-applying is a no-op, that each CRD is Established and owned through an
// Apply entry, and that discovery serves exactly the ten AIM resources.
func TestCRDsServerSideApply(t *testing.T) {
	cfg := restConfig(t)
	ctx := context.Background()
	crds, err := localcluster.ReadCRDs(crdDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(crds) != 10 {
		t.Fatalf("%s holds %d CRDs, want the 10 AIM kinds", crdDir, len(crds))
	}
	c, err := apiextensionsclient.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	api := c.ApiextensionsV1().CustomResourceDefinitions()
	before := map[string]string{}
	for _, crd := range crds {
		got, err := api.Get(ctx, crd.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("CRD %s not installed: %v", crd.Name, err)
		}
		before[crd.Name] = got.ResourceVersion
	}

	if err := env.InstallCRDs(ctx, crdDir); err != nil {
		t.Fatalf("server-side apply of %s: %v", crdDir, err)
	}

	var plurals []string
	for _, crd := range crds {
		got, err := api.Get(ctx, crd.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.ResourceVersion != before[crd.Name] {
			t.Errorf("%s: re-applying the same manifest changed the CRD (resourceVersion %s -> %s)", crd.Name, before[crd.Name], got.ResourceVersion)
		}
		applied := false
		for _, mf := range got.ManagedFields {
			applied = applied || mf.Operation == metav1.ManagedFieldsOperationApply
		}
		if !applied {
			t.Errorf("%s: no Apply entry in managedFields; not installed with server-side apply", crd.Name)
		}
		established := false
		for _, cond := range got.Status.Conditions {
			established = established || (cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue)
		}
		if !established {
			t.Errorf("%s: not Established", crd.Name)
		}
		plurals = append(plurals, crd.Spec.Names.Plural)
	}

	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	list, err := dc.ServerResourcesForGroupVersion(aimv1alpha1.SchemeGroupVersion.String())
	if err != nil {
		t.Fatal(err)
	}
	var served []string
	for _, r := range list.APIResources {
		served = append(served, r.Name) // includes <plural>/status
	}
	sort.Strings(plurals)
	for _, p := range plurals {
		if !contains(served, p) || !contains(served, p+"/status") {
			t.Errorf("discovery does not serve %s and %s/status: %v", p, p, served)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
