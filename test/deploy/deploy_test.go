// Package deploy applies manifests/ (without a container image) to a real
// control plane and checks it: every object is accepted, the RBAC is least
// privilege yet sufficient (aimlite runs as the ServiceAccount with the shipped
// ClusterRole, elects itself, syncs its caches, and logs no "forbidden"), and
// the Deployment's pods pass the restricted pod-security profile.
package deploy

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/yaml"

	"github.com/aimlite/aimlite/internal/localcluster"
	"github.com/aimlite/aimlite/internal/testenv"
)

var env = testenv.New(testenv.Options{})

func TestMain(m *testing.M) { env.Main(m) }

const (
	systemNS = "aimlite-system"
	saUser   = "system:serviceaccount:aimlite-system:aimlite"
)

var gvrs = map[string]schema.GroupVersionResource{
	"Namespace":          {Version: "v1", Resource: "namespaces"},
	"ServiceAccount":     {Version: "v1", Resource: "serviceaccounts"},
	"ClusterRole":        {Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"},
	"ClusterRoleBinding": {Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings"},
	"Role":               {Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles"},
	"RoleBinding":        {Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings"},
	"Deployment":         {Group: "apps", Version: "v1", Resource: "deployments"},
}

// manifests reads every non-CRD object listed in manifests/kustomization.yaml.
func manifests(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	root, err := localcluster.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "manifests")
	var k struct{ Resources []string }
	b, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &k); err != nil {
		t.Fatal(err)
	}
	var objs []*unstructured.Unstructured
	crds := 0
	for _, r := range k.Resources {
		b, err := os.ReadFile(filepath.Join(dir, r))
		if err != nil {
			t.Fatalf("kustomization lists %s: %v", r, err)
		}
		if strings.HasPrefix(r, "crds/") {
			crds++
			continue
		}
		d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
		for {
			u := &unstructured.Unstructured{}
			if err := d.Decode(&u.Object); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", r, err)
			}
			if len(u.Object) > 0 {
				objs = append(objs, u)
			}
		}
	}
	if crds != 10 {
		t.Fatalf("kustomization lists %d CRDs, want 10", crds)
	}
	return objs
}

func TestManifests(t *testing.T) {
	ctx := context.Background()
	objs := manifests(t)

	// Static least-privilege rules.
	for _, o := range objs {
		if o.GetKind() != "ClusterRole" || o.GetName() != "aimlite-manager" {
			continue
		}
		var cr rbacv1.ClusterRole
		b, _ := yaml.Marshal(o.Object)
		if err := yaml.Unmarshal(b, &cr); err != nil {
			t.Fatal(err)
		}
		for _, r := range cr.Rules {
			for _, s := range append(append(append([]string{}, r.Verbs...), r.Resources...), r.APIGroups...) {
				if strings.Contains(s, "*") {
					t.Errorf("wildcard %q in rule %+v", s, r)
				}
			}
		}
	}

	for _, o := range objs {
		gvr, ok := gvrs[o.GetKind()]
		if !ok {
			t.Fatalf("no resource known for kind %s", o.GetKind())
		}
		var err error
		if o.GetNamespace() != "" {
			_, err = env.Dynamic.Resource(gvr).Namespace(o.GetNamespace()).Apply(ctx, o.GetName(), o, metav1.ApplyOptions{FieldManager: "deploy-test", Force: true})
		} else {
			_, err = env.Dynamic.Resource(gvr).Apply(ctx, o.GetName(), o, metav1.ApplyOptions{FieldManager: "deploy-test", Force: true})
		}
		if err != nil {
			t.Fatalf("apply %s %s: %v", o.GetKind(), o.GetName(), err)
		}
	}

	t.Run("RBAC grants what the operator does and nothing broader", func(t *testing.T) {
		cases := []struct {
			ns, group, resource, sub, verb, name string
			want                                 bool
		}{
			{"", "aim.eai.amd.com", "aimservices", "", "watch", "", true},
			{"team-a", "aim.eai.amd.com", "aimservices", "status", "patch", "", true},
			{"", "aim.eai.amd.com", "aimclustermodels", "finalizers", "update", "", true},
			{"team-a", "batch", "jobs", "", "create", "", true},
			{"", "", "pods", "", "watch", "", true},
			{"team-a", "", "pods", "log", "get", "", true},
			{"team-a", "", "pods", "", "create", "", false},
			{"team-a", "", "secrets", "", "get", "", true},
			{"", "", "secrets", "", "list", "", false},
			{"", "", "secrets", "", "watch", "", false},
			{"team-a", "events.k8s.io", "events", "", "create", "", true},
			{"team-a", "", "events", "", "list", "", true},
			{"", "", "events", "", "watch", "", true}, // field-selected: KServe Warning events only
			{"team-a", "", "events", "", "delete", "", false},
			{"", "", "nodes", "", "watch", "", true},
			{"", "", "nodes", "", "delete", "", false},
			{"team-a", "serving.kserve.io", "inferenceservices", "", "patch", "", true},
			{"team-a", "gateway.networking.k8s.io", "httproutes", "", "watch", "", true},
			{"", "apiextensions.k8s.io", "customresourcedefinitions", "", "watch", "", true},
			{"", "apiextensions.k8s.io", "customresourcedefinitions", "", "create", "", false},
			{systemNS, "coordination.k8s.io", "leases", "", "update", "aimlite-leader", true},
			{systemNS, "coordination.k8s.io", "leases", "", "update", "someone-else", false},
			{"kube-node-lease", "coordination.k8s.io", "leases", "", "watch", "", false},
			{"", "rbac.authorization.k8s.io", "clusterroles", "", "bind", "aim-engine-artifact-status-updater", true},
			{"", "rbac.authorization.k8s.io", "clusterroles", "", "bind", "cluster-admin", false},
			{"", "rbac.authorization.k8s.io", "clusterroles", "", "create", "", false},
		}
		for _, c := range cases {
			sar := &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{
				User:   saUser,
				Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + systemNS, "system:authenticated"},
				ResourceAttributes: &authzv1.ResourceAttributes{Namespace: c.ns, Group: c.group, Resource: c.resource,
					Subresource: c.sub, Verb: c.verb, Name: c.name},
			}}
			res, err := env.Client.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status.Allowed != c.want {
				t.Errorf("%s %s/%s %s name=%q in %q: allowed=%v, want %v", c.verb, c.group, c.resource, c.sub, c.name, c.ns, res.Status.Allowed, c.want)
			}
		}
	})

	t.Run("Deployment pods pass the restricted pod-security profile", func(t *testing.T) {
		// The namespace really enforces "restricted": a plain pod is refused.
		plain := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "plain"},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "x"}}}}
		if _, err := env.Client.CoreV1().Pods(systemNS).Create(ctx, plain, metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
			t.Fatalf("a pod without a restricted security context was not refused: %v", err)
		}
		err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
			pods, err := env.Client.CoreV1().Pods(systemNS).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=aimlite"})
			return err == nil && len(pods.Items) == 2, nil
		})
		if err != nil {
			evs, _ := env.Client.CoreV1().Events(systemNS).List(ctx, metav1.ListOptions{})
			for _, e := range evs.Items {
				t.Logf("event: %s %s: %s", e.InvolvedObject.Name, e.Reason, e.Message)
			}
			t.Fatal("the Deployment's 2 pods were not created")
		}
	})

	t.Run("aimlite runs as the ServiceAccount", func(t *testing.T) {
		runAsServiceAccount(t)
	})
}

func runAsServiceAccount(t *testing.T) {
	ctx := context.Background()
	exp := int64(3600)
	tok, err := env.Client.CoreV1().ServiceAccounts(systemNS).CreateToken(ctx, "aimlite",
		&authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{ExpirationSeconds: &exp}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ca := env.Config.CAData
	if len(ca) == 0 && env.Config.CAFile != "" {
		if ca, err = os.ReadFile(env.Config.CAFile); err != nil {
			t.Fatal(err)
		}
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters["c"] = &clientcmdapi.Cluster{Server: env.Config.Host, CertificateAuthorityData: ca}
	kc.AuthInfos["sa"] = &clientcmdapi.AuthInfo{Token: tok.Status.Token}
	kc.Contexts["c"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "sa"}
	kc.CurrentContext = "c"
	dir := t.TempDir()
	kcPath := filepath.Join(dir, "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, kcPath); err != nil {
		t.Fatal(err)
	}

	root, _ := localcluster.RepoRoot()
	bin := filepath.Join(dir, "aimlite")
	build := exec.Command("go", "build", "-o", bin, "./cmd/aimlite")
	build.Dir, build.Env = root, append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	probe := l.Addr().String()
	l.Close()
	var logs bytes.Buffer
	cmd := exec.Command(bin, "--kubeconfig="+kcPath, "--leader-elect", "--system-namespace="+systemNS,
		"--health-probe-bind-address="+probe, "--metrics-bind-address=0")
	cmd.Env = append(os.Environ(), "POD_NAME=deploy-test")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("aimlite log:\n%s", logs.String())
		}
	}()
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		l, err := env.Client.CoordinationV1().Leases(systemNS).Get(ctx, "aimlite-leader", metav1.GetOptions{})
		if err != nil || l.Spec.HolderIdentity == nil || !strings.HasPrefix(*l.Spec.HolderIdentity, "deploy-test_") {
			return false, nil
		}
		resp, err := http.Get("http://" + probe + "/readyz")
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
	if err != nil {
		t.Fatal("aimlite did not become leader and ready with the shipped RBAC")
	}
	// Exercise every controller: the samples make them create Jobs, PVCs,
	// RoleBindings, events and status writes.
	ns := env.Namespace(t)
	n := applySamples(t, ns)
	err = wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		evs, err := env.Client.EventsV1().Events(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		for _, e := range evs.Items {
			if strings.HasPrefix(e.ReportingController, "aim-") {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Errorf("no event from an AIM controller in %s after applying %d samples", ns, n)
	}
	time.Sleep(5 * time.Second) // more reconciles, more chances to hit a missing permission
	for _, line := range strings.Split(logs.String(), "\n") {
		// The apiserver's RBAC denial: `... is forbidden: User "system:serviceaccount:..." cannot ...`
		// (JSON-escaped quotes in structured logs, hence no quote after User).
		if strings.Contains(line, "forbidden: User") {
			t.Errorf("forbidden with the shipped RBAC: %s", line)
		}
	}
}

// applySamples applies config/samples/*.yaml (namespaced ones into ns) as admin.
func applySamples(t *testing.T, ns string) int {
	t.Helper()
	root, _ := localcluster.RepoRoot()
	files, err := filepath.Glob(filepath.Join(root, "config", "samples", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
		for {
			u := &unstructured.Unstructured{}
			if err := d.Decode(&u.Object); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if len(u.Object) == 0 || u.GroupVersionKind().Group != "aim.eai.amd.com" {
				continue
			}
			gvr := u.GroupVersionKind().GroupVersion().WithResource(strings.ToLower(u.GetKind()) + "s")
			ri := env.Dynamic.Resource(gvr)
			var err error
			if strings.HasPrefix(u.GetKind(), "AIMCluster") {
				_, err = ri.Apply(context.Background(), u.GetName(), u, metav1.ApplyOptions{FieldManager: "deploy-test", Force: true})
				name := u.GetName()
				t.Cleanup(func() { _ = ri.Delete(context.Background(), name, metav1.DeleteOptions{}) })
			} else {
				_, err = ri.Namespace(ns).Apply(context.Background(), u.GetName(), u, metav1.ApplyOptions{FieldManager: "deploy-test", Force: true})
			}
			if err != nil {
				t.Fatalf("apply %s %s: %v", u.GetKind(), u.GetName(), err)
			}
			n++
		}
	}
	return n
}
