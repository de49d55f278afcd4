package e2e

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func init() {
	register("ArtifactFinishedJobConditions", artifactFinishedJobConditions)
	register("ArtifactKnownSizeConditions", artifactKnownSizeConditions)
}

// condExactly is hasCond with an exact message, "" included.
func condExactly(typ, status, reason, msg string) check {
	return func(u *U) error {
		c := findCond(u, typ)
		if c == nil {
			return fmt.Errorf("no condition %s (want %s/%s(%q))", typ, status, reason, msg)
		}
		if c.Status != status || c.Reason != reason || c.Message != msg {
			return fmt.Errorf("condition %s = %s/%s(%q), want %s/%s(%q)", typ, c.Status, c.Reason, c.Message, status, reason, msg)
		}
		return nil
	}
}

// holdsFor fails unless every check holds on each poll for d (conditions that must not drop out).
func holdsFor(t *testing.T, kind, ns, name string, d time.Duration, checks ...check) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
		u := mustGet(t, kind, ns, name)
		for _, c := range checks {
			if err := c(u); err != nil {
				t.Fatalf("%s %s: %v; object: %s", kind, name, err, summary(u))
			}
		}
	}
}

var downloadDoneConds = []check{
	condExactly("DownloadJobReady", "True", "Ready", ""),
	condExactly("DownloadJobPodsReady", "True", "PodsReady", "Pods are ready"),
}

// The check-size and download components drop out of the health list once the size is known and the
// download finished, but the reference never prunes conditions: CheckSizeJob*, DownloadJob* stay True
// with the successful run's values (catalogue §1.5, §2.3 row 6, §2.4, §8 "stale conditions"), also after
// the finished Jobs are gone (ttlSecondsAfterFinished).
func artifactFinishedJobConditions(t *testing.T, ns string) {
	requireLocal(t, "the check-size pod's output is served through kwok's log endpoint")
	art := create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMArtifact
metadata:
  name: finished
spec:
  sourceUri: hf://org/finished-model
  modelId: org/finished-model
`)
	checks := append([]check{statusIs("Ready"),
		condExactly("Ready", "True", "AllComponentsReady", "All components are ready"),
		condExactly("CheckSizeJobReady", "True", "Ready", ""),
		condExactly("CheckSizeJobPodsReady", "True", "PodsReady", "Pods are ready"),
		condExactly("CachePvcReady", "True", "Ready", ""),
		noCond("CheckSizeOutputReady"),
		fieldIs(5368709120, "status", "discoveredSizeBytes")}, downloadDoneConds...)
	waitFor(t, "AIMArtifact", ns, "finished", 60*time.Second, checks...)

	// The Jobs' TTL deletion (played here) reconciles the Ready artifact: nothing is recreated and the
	// conditions stay.
	uid := string(art.GetUID())
	bgProp := metav1.DeletePropagationBackground
	for _, j := range []string{artifactChildName("finished", uid, "check-size"), artifactChildName("finished", uid, "download")} {
		if err := res("Job", ns).Delete(bg, j, metav1.DeleteOptions{PropagationPolicy: &bgProp}); err != nil {
			t.Fatalf("delete Job %s: %v", j, err)
		}
		waitGone(t, "Job", ns, j, 30*time.Second)
	}
	holdsFor(t, "AIMArtifact", ns, "finished", 5*time.Second, checks...)
	if jobs := list(t, "Job", ns, "aim.eai.amd.com/cache.name=finished"); len(jobs) != 0 {
		t.Errorf("Jobs recreated for a Ready artifact: %v", names(jobs))
	}
}

// With spec.size set there is no sizing: no CheckSizeJob* conditions, while DownloadJob* stay True.
func artifactKnownSizeConditions(t *testing.T, ns string) {
	requireLocal(t, "the download pod is played by kwok")
	create(t, ns, `
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMArtifact
metadata:
  name: known
spec:
  sourceUri: hf://org/known-model
  modelId: org/known-model
  size: 2Gi
`)
	checks := append([]check{statusIs("Ready"), noCond("CheckSizeJobReady"), noCond("CheckSizeJobPodsReady")}, downloadDoneConds...)
	waitFor(t, "AIMArtifact", ns, "known", 60*time.Second, checks...)
	holdsFor(t, "AIMArtifact", ns, "known", 3*time.Second, checks...)
}
