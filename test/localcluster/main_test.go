// Package localcluster_test proves the local control plane is a real one: CRDs and server-side apply,
// garbage collection, Jobs on kwok nodes, failures, pod logs, PVC binding and namespace deletion.
package localcluster_test

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/aimlite/aimlite/internal/testenv"
)

var env = testenv.New(testenv.Options{})

func TestMain(m *testing.M) { env.Main(m) }

// eventually polls cond every 100 ms until it returns true, failing the test after timeout with the
// last message cond gave.
func eventually(t *testing.T, timeout time.Duration, cond func(ctx context.Context) (bool, string)) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		ok, msg := cond(ctx)
		last = msg
		return ok, nil
	})
	if err != nil {
		t.Fatalf("condition not met after %s: %s", timeout, last)
	}
}
