// Package services holds the integration tests of the AIMService, AIMTemplateCache and
// AIMArtifact reconcilers on a real local control plane (internal/testenv, kwok nodes). The
// reconcilers run in-process (harness); their dependencies (models, templates) are created by
// the tests and painted with a hand-set status while paused, as the reference's e2e tests do.
package services

import (
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/aimlite/aimlite/internal/testenv"
	"github.com/aimlite/aimlite/test/services/harness"
)

var env = testenv.New(testenv.Options{})

func TestMain(m *testing.M) { env.Main(m) }

func startOperator(t *testing.T) *harness.Operator { return harness.Start(t, env) }

// eventually polls f until it returns nil or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, f func() error) {
	t.Helper()
	harness.Eventually(t, timeout, what, f)
}

func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
