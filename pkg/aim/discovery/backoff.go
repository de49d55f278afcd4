package discovery

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
)

// Backoff bounds between failed discovery attempts.
const (
	BaseBackoff = 60 * time.Second
	MaxBackoff  = 3600 * time.Second
)

// Delay is the wait after the n-th failed attempt: 60s × 2^(n−1), capped at one hour; 0 for n ≤ 0.
func Delay(attempts int32) time.Duration { return Backoff{}.Delay(attempts) }

// Backoff is the retry schedule; zero fields mean BaseBackoff and MaxBackoff.
type Backoff struct{ Base, Max time.Duration }

// Delay is the wait after the n-th failed attempt: Base × 2^(n−1), capped at Max; 0 for n ≤ 0.
func (b Backoff) Delay(attempts int32) time.Duration {
	base, maxD := b.Base, b.Max
	if base <= 0 {
		base = BaseBackoff
	}
	if maxD <= 0 {
		maxD = MaxBackoff
	}
	if attempts <= 0 {
		return 0
	}
	d := base
	for i := int32(1); i < attempts; i++ {
		d *= 2
		if d >= maxD {
			return maxD
		}
	}
	if d > maxD {
		return maxD
	}
	return d
}

// SpecHash is the hex of the first 8 bytes of SHA-256 over the discovery inputs; a change resets backoff.
func SpecHash(modelName, image, metric, precision, gpuModel string, gpuRequests int32, profileID string) string {
	sum := sha256.Sum256([]byte(modelName + image + metric + precision + gpuModel +
		strconv.Itoa(int(gpuRequests)) + profileID))
	return hex.EncodeToString(sum[:8])
}

// Gate is the backoff decision for creating a new discovery Job.
type Gate struct {
	// Allowed is true when a Job may be created now.
	Allowed bool
	// Wait is the time left until it may be (0 when allowed).
	Wait time.Duration
	// Message is the AwaitingDiscovery text while waiting.
	Message string
}

// Check decides whether a new attempt may start at now, given the recorded state and the current hash.
func Check(state *aimv1.AIMDiscoveryState, specHash string, now time.Time) Gate {
	return Backoff{}.Check(state, specHash, now)
}

// Check is the package-level Check with this schedule.
func (b Backoff) Check(state *aimv1.AIMDiscoveryState, specHash string, now time.Time) Gate {
	if state == nil || state.Attempts <= 0 || state.SpecHash != specHash || state.LastAttemptTime == nil {
		return Gate{Allowed: true}
	}
	next := state.LastAttemptTime.Add(b.Delay(state.Attempts))
	if !now.Before(next) {
		return Gate{Allowed: true}
	}
	wait := next.Sub(now)
	return Gate{Wait: wait, Message: fmt.Sprintf("Waiting %s before retry (attempt %d failed)",
		wait.Round(time.Second), state.Attempts)}
}

// RecordFailure returns the state after a failed attempt observed at `at`: attempts are counted per spec
// hash (a new hash starts again at 1).
func RecordFailure(state *aimv1.AIMDiscoveryState, specHash, reason string, at time.Time) *aimv1.AIMDiscoveryState {
	out := &aimv1.AIMDiscoveryState{}
	if state != nil && state.SpecHash == specHash {
		*out = *state.DeepCopy()
	}
	out.Attempts++
	out.SpecHash = specHash
	out.LastFailureReason = reason
	t := metaTime(at)
	out.LastAttemptTime = &t
	return out
}
