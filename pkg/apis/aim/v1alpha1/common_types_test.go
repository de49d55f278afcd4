package v1alpha1

import (
	"encoding/json"
	"testing"
)

// FreeformJSON must carry any JSON value through a decode/encode cycle unchanged, and an
// absent value must stay absent (engine_args is schemaless in the CRD).
func TestFreeformJSONRoundTrip(t *testing.T) {
	for _, in := range []string{
		`{"engine_args":{"tensor-parallel-size":2,"flags":["--a",null,true]},"originalDiscoveryOutput":[{"size_gb":16.5}]}`,
		`{"engine_args":"plain string","originalDiscoveryOutput":42}`,
		`{"env_vars":{"A":"1"}}`,
	} {
		var p AIMProfile
		if err := json.Unmarshal([]byte(in), &p); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		out, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != in {
			t.Errorf("round trip:\n in  %s\n out %s", in, out)
		}
	}
	var p AIMProfile
	if err := json.Unmarshal([]byte(`{"engine_args":null}`), &p); err != nil {
		t.Fatal(err)
	}
	if p.EngineArgs != nil && len(p.EngineArgs.Raw) != 0 {
		t.Errorf("null must decode to an empty value, got %q", p.EngineArgs.Raw)
	}
	orig := &AIMProfile{EngineArgs: &FreeformJSON{Raw: []byte(`{"a":1}`)}}
	c := orig.DeepCopy()
	c.EngineArgs.Raw[2] = 'b'
	if string(orig.EngineArgs.Raw) != `{"a":1}` {
		t.Error("DeepCopy shares the Raw bytes")
	}
}
