package apiintegration

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/aimlite/aimlite/pkg/generated/clientset/versioned"
	"github.com/aimlite/aimlite/pkg/generated/clientset/versioned/scheme"
	"github.com/aimlite/aimlite/pkg/generated/informers/externalversions"
)

// TestValidSamples creates every config/samples/aim_v1alpha1_*.yaml through the typed clientset.
func TestValidSamples(t *testing.T) {
	cfg := restConfig(t)
	files := globSorted(t, filepath.Join(samplesDir, "aim_v1alpha1_*.yaml"))
	covered := checkSamples(t, cfg, env.Namespace(t), files, false)
	for kind := range crdResources(t) {
		if covered[kind] == 0 {
			t.Errorf("no valid sample of %s in %s", kind, samplesDir)
		}
	}
}

// TestContractSamples sends the contract's samples (config/samples/contract) exactly as written, as a
// user's `kubectl apply` would: they are valid against the reference CRDs, so ours must accept them.
func TestContractSamples(t *testing.T) {
	cfg := restConfig(t)
	files := globSorted(t, filepath.Join(samplesDir, "contract", "*.yaml"))
	if len(files) != 10 {
		t.Errorf("want the 10 contract samples, found %d", len(files))
	}
	checkSamples(t, cfg, env.Namespace(t), files, true)
}

// eventRecorder remembers the keys an informer's event handler was given, per kind.
type eventRecorder struct {
	mu   sync.Mutex
	seen map[string]map[string]string // kind -> key -> resourceVersion
}

func (r *eventRecorder) handler(kind string) cache.ResourceEventHandler {
	record := func(obj any) {
		o, ok := obj.(object)
		if !ok {
			return
		}
		key, _ := cache.MetaNamespaceKeyFunc(o)
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.seen[kind] == nil {
			r.seen[kind] = map[string]string{}
		}
		r.seen[kind][key] = o.GetResourceVersion()
	}
	return cache.ResourceEventHandlerFuncs{AddFunc: record, UpdateFunc: func(_, obj any) { record(obj) }}
}

func (r *eventRecorder) resourceVersion(kind, key string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen[kind][key]
}

type createdSample struct {
	path, kind, key string
	api             kindAPI
	obj             object
}

// checkSamples creates each file's object (through the typed clientset, or as unstructured when
// asWritten), then reads it back through the typed clientset, the typed lister and an informer's
// event handler, and checks that nothing the file set was lost. It returns the number of samples per kind.
func checkSamples(t *testing.T, cfg *rest.Config, ns string, files []string, asWritten bool) map[string]int {
	t.Helper()
	if len(files) == 0 {
		t.Fatal("no samples")
	}
	cs, err := versioned.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	resources := crdResources(t)

	ctx, cancel := context.WithCancel(context.Background())
	factory := externalversions.NewSharedInformerFactory(cs, 0)
	t.Cleanup(func() { cancel(); factory.Shutdown() })
	kinds := kindAPIs(cs, factory)
	rec := &eventRecorder{seen: map[string]map[string]string{}}
	for kind, api := range kinds {
		if _, err := api.informer.AddEventHandler(rec.handler(kind)); err != nil {
			t.Fatal(err)
		}
	}
	factory.Start(ctx.Done())
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			t.Fatalf("informer for %v did not sync", typ)
		}
	}

	covered := map[string]int{}
	var created []createdSample
	for _, f := range files {
		m := readManifest(t, f)
		kind, name := m.obj.GetKind(), m.obj.GetName()
		api, ok := kinds[kind]
		if !ok {
			t.Errorf("%s: unknown kind %q", f, kind)
			continue
		}
		covered[kind]++
		objNS := ""
		if api.namespaced {
			objNS = ns
		} else {
			name += runSuffix
			m.obj.SetName(name)
			ensureGone(t,
				func(ctx context.Context) error { _, err := api.get(ctx, "", name); return err },
				func(ctx context.Context) error { return api.delete(ctx, "", name) })
			t.Cleanup(func() {
				if err := api.delete(context.Background(), "", name); err != nil && !apierrors.IsNotFound(err) {
					t.Errorf("delete %s %s: %v", kind, name, err)
				}
			})
		}
		m.obj.SetNamespace(objNS)

		var want object
		if asWritten {
			r := resources[kind]
			u, err := dyn.Resource(r.gvr).Namespace(objNS).Create(ctx, m.obj, metav1.CreateOptions{})
			if err != nil {
				t.Errorf("%s: create as written: %v", f, err)
				continue
			}
			want = toTyped(t, u)
		} else {
			want, err = api.create(ctx, objNS, toTyped(t, m.obj))
			if err != nil {
				t.Errorf("%s: create through the typed clientset: %v", f, err)
				continue
			}
		}

		got, err := api.get(ctx, objNS, name)
		if err != nil {
			t.Errorf("%s: typed get: %v", f, err)
			continue
		}
		if !equality.Semantic.DeepEqual(want, got) {
			t.Errorf("%s: typed get differs from the created object:\ncreated %s\ngot     %s", f, mustJSON(want), mustJSON(got))
		}
		// Nothing the sample sets may be pruned or rewritten by the CRD schema.
		for _, field := range []string{"spec", "metadata.labels", "metadata.annotations"} {
			w, g := pick(m.obj.Object, field), pick(toJSONValue(t, got).(map[string]any), field)
			if w == nil {
				continue
			}
			if d := missingFrom(field, toJSONValue(t, w), g); d != "" {
				t.Errorf("%s: read back without what the sample set: %s", f, d)
			}
		}
		key, _ := cache.MetaNamespaceKeyFunc(got)
		created = append(created, createdSample{path: f, kind: kind, key: key, api: api, obj: got})
	}

	// The lister and the informer's handler see each object at the version the apiserver returned.
	for _, c := range created {
		name := c.obj.GetName()
		eventually(t, 30*time.Second, func(context.Context) (bool, string) {
			cached, err := c.api.list(c.obj.GetNamespace(), name)
			if err != nil {
				return false, c.path + ": lister: " + err.Error()
			}
			if !equality.Semantic.DeepEqual(cached, c.obj) {
				return false, c.path + ": lister has " + mustJSON(cached) + ", want " + mustJSON(c.obj)
			}
			if rv := rec.resourceVersion(c.kind, c.key); rv != c.obj.GetResourceVersion() {
				return false, c.path + ": informer handler saw resourceVersion " + rv + ", want " + c.obj.GetResourceVersion()
			}
			return true, ""
		})
	}
	t.Logf("%d samples of %d kinds created and read back through clientset, lister and informer", len(created), len(covered))
	return covered
}

// toTyped converts an unstructured AIM object into its Go type, rejecting unknown fields.
func toTyped(t *testing.T, u *unstructured.Unstructured) object {
	t.Helper()
	obj, err := scheme.Scheme.New(u.GroupVersionKind())
	if err != nil {
		t.Fatalf("%s: %v", u.GetKind(), err)
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, obj, true); err != nil {
		t.Fatalf("%s %s: does not convert strictly into %T: %v", u.GetKind(), u.GetName(), obj, err)
	}
	o, ok := obj.(object)
	if !ok {
		t.Fatalf("%T is not a metav1.Object", obj)
	}
	// The typed clients clear TypeMeta on decode; match them so objects compare equal.
	obj.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{})
	return o
}

// pick returns the value at a dotted path of a JSON object, or nil.
func pick(obj map[string]any, path string) any {
	var cur any = obj
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}
