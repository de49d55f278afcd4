package apiintegration

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"

	"github.com/aimlite/aimlite/internal/testenv"
)

// The AIM samples need no KServe or Gateway API types.
var env = testenv.New(testenv.Options{NoTestCRDs: true})

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() || os.Getenv("AIMLITE_SKIP_INTEGRATION") == "1" {
		os.Exit(m.Run()) // control-plane-free tests only; the others skip themselves
	}
	env.Main(m)
}

// runSuffix makes cluster-scoped names unique to this test binary, so a run against a shared
// KUBECONFIG cluster never touches, or deletes, anybody else's objects of the same name.
var runSuffix = fmt.Sprintf("-it%05d", rand.IntN(100000))

// restConfig returns the control plane's config, or skips t when none was started.
func restConfig(t *testing.T) *rest.Config {
	t.Helper()
	if env.Config == nil {
		t.Skip("integration test: no control plane (-short or AIMLITE_SKIP_INTEGRATION=1)")
	}
	return env.Config
}

// eventually polls cond until it holds, failing t with cond's last message after timeout.
func eventually(t *testing.T, timeout time.Duration, cond func(ctx context.Context) (bool, string)) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		ok, msg := cond(ctx)
		last = msg
		return ok, nil
	})
	if err != nil {
		t.Fatalf("not met after %s: %s", timeout, last)
	}
}

// ensureGone deletes an object left by an earlier step of this run (samples of a kind share names)
// and waits until it no longer exists.
func ensureGone(t *testing.T, get func(ctx context.Context) error, del func(ctx context.Context) error) {
	t.Helper()
	ctx := context.Background()
	if err := del(ctx); err != nil && !apierrors.IsNotFound(err) {
		t.Fatalf("delete leftover: %v", err)
	}
	eventually(t, 30*time.Second, func(ctx context.Context) (bool, string) {
		err := get(ctx)
		return apierrors.IsNotFound(err), fmt.Sprintf("leftover still there (get: %v)", err)
	})
}

// toJSONValue normalises a value through JSON so typed and unstructured data compare alike
// (numbers become float64, structs become maps).
func toJSONValue(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// missingFrom returns the first place where want is not contained in got: every map key of want
// must be in got with a contained value, lists must match element-wise. Durations compare by value
// (metav1.Duration re-encodes "1h" as "1h0m0s") and so do quantities ("0.5" becomes "500m"). Fields only in got (defaults) are fine.
func missingFrom(path string, want, got any) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: want an object, got %v", path, got)
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				return fmt.Sprintf("%s.%s: missing (want %v)", path, k, wv)
			}
			if d := missingFrom(path+"."+k, wv, gv); d != "" {
				return d
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("%s: want %v, got %v", path, want, got)
		}
		for i := range w {
			if d := missingFrom(fmt.Sprintf("%s[%d]", path, i), w[i], g[i]); d != "" {
				return d
			}
		}
		return ""
	case string:
		if g, ok := got.(string); ok {
			dw, errW := time.ParseDuration(w)
			dg, errG := time.ParseDuration(g)
			if errW == nil && errG == nil && dw == dg {
				return ""
			}
			qw, errW := resource.ParseQuantity(w)
			qg, errG := resource.ParseQuantity(g)
			if errW == nil && errG == nil && qw.Cmp(qg) == 0 {
				return ""
			}
		}
	}
	if !reflect.DeepEqual(want, got) {
		return fmt.Sprintf("%s: want %v, got %v", path, want, got)
	}
	return ""
}
