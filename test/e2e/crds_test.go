package e2e

import (
	"fmt"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func init() { register("CRDNamesAndPrinterColumns", crdNamesAndPrinterColumns) }

// contractCRD is what `kubectl get aim` relies on: the category, short name, scope and printer columns
// (name=jsonPath) of each AIM CRD in the contract (../shared/contract/crds).
type contractCRD struct {
	plural, short string
	cluster       bool
	columns       []string
}

var contractCRDs = []contractCRD{
	{"aimartifacts", "aimart", false, []string{"Status=.status.status", "Mode=.status.mode", "Model Size=.status.displaySize",
		"Progress=.status.progress.displayPercentage", "Protocol=.status.download.protocol", "Attempt=.status.download.attempt", "Age=.metadata.creationTimestamp"}},
	{"aimclustermodels", "aimclmdl", true, []string{"Status=.status.status", "Source=.status.sourceType", "Image=.spec.image",
		"Model=.status.imageMetadata.model.canonicalName", "Age=.metadata.creationTimestamp"}},
	{"aimclustermodelsources", "aimclsrc", true, []string{"Status=.status.status", "Models=.status.discoveredModels",
		"LastSync=.status.lastSyncTime", "Age=.metadata.creationTimestamp"}},
	{"aimclusterruntimeconfigs", "aimclrc", true, nil},
	{"aimclusterservicetemplates", "aimcltpl", true, []string{"Model=.spec.modelName", "Status=.status.status",
		"Hardware=.status.hardwareSummary", "Metric=.status.profile.metadata.metric", "Precision=.status.profile.metadata.precision"}},
	{"aimmodels", "aimmdl", false, []string{"Status=.status.status", "Source=.status.sourceType", "Image=.spec.image",
		"Model=.status.imageMetadata.model.canonicalName", "Age=.metadata.creationTimestamp"}},
	{"aimruntimeconfigs", "aimrc", false, nil},
	{"aimservices", "aimsvc", false, []string{"Status=.status.status", "Model=.status.resolvedModel.name",
		"Template=.status.resolvedTemplate.name", "Replicas=.status.runtime.replicas", "Age=.metadata.creationTimestamp"}},
	{"aimservicetemplates", "aimtpl", false, []string{"Model=.spec.modelName", "Status=.status.status",
		"Hardware=.status.hardwareSummary", "Metric=.status.profile.metadata.metric", "Precision=.status.profile.metadata.precision"}},
	{"aimtemplatecaches", "aimtc", false, []string{"Template=.spec.templateName", "Mode=.spec.mode", "Status=.status.status",
		"Kind=.status.resolvedTemplateKind", "Age=.metadata.creationTimestamp"}},
}

// The installed CRDs carry the contract's category "aim", short names, scope and printer columns.
func crdNamesAndPrinterColumns(t *testing.T, _ string) {
	crds := env.Dynamic.Resource(schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"})
	for _, want := range contractCRDs {
		u, err := crds.Get(bg, want.plural+".aim.eai.amd.com", metav1.GetOptions{})
		if err != nil {
			t.Errorf("CRD %s: %v", want.plural, err)
			continue
		}
		cats := field(u, "spec", "names", "categories")
		if !strings.Contains(cats, `"aim"`) || !strings.Contains(cats, `"all"`) {
			t.Errorf("%s: categories %s, want aim and all", want.plural, cats)
		}
		if got := field(u, "spec", "names", "shortNames"); got != `["`+want.short+`"]` {
			t.Errorf("%s: shortNames %s, want [%s]", want.plural, got, want.short)
		}
		scope := "Namespaced"
		if want.cluster {
			scope = "Cluster"
		}
		expect(t, u, fieldIs(scope, "spec", "scope"))
		var got []string
		for _, c := range sliceAt(u, "spec", "versions", "0", "additionalPrinterColumns") {
			m, _ := c.(map[string]any)
			got = append(got, fmt.Sprintf("%v=%v", m["name"], m["jsonPath"]))
		}
		if strings.Join(got, ",") != strings.Join(want.columns, ",") {
			t.Errorf("%s: printer columns\n got %v\nwant %v", want.plural, got, want.columns)
		}
	}
}
