package controller

import (
	"flag"

	"k8s.io/client-go/rest"
)

// RESTOptions are the client-side rate limits towards the apiserver.
// client-go's defaults (5 QPS, burst 10) throttle even a small operator during
// its initial reconcile of every object; the apiserver's priority and fairness
// protects it from a misbehaving client anyway.
type RESTOptions struct {
	QPS   float64
	Burst int
}

// DefaultRESTOptions returns 50 QPS with a burst of 100.
func DefaultRESTOptions() RESTOptions { return RESTOptions{QPS: 50, Burst: 100} }

// BindFlags registers --kube-api-qps and --kube-api-burst.
func (o *RESTOptions) BindFlags(fs *flag.FlagSet) {
	fs.Float64Var(&o.QPS, "kube-api-qps", o.QPS, "Client-side QPS limit towards the apiserver.")
	fs.IntVar(&o.Burst, "kube-api-burst", o.Burst, "Client-side burst towards the apiserver.")
}

// Apply sets the limits on a copy of cfg and returns it.
func (o RESTOptions) Apply(cfg *rest.Config) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.QPS = float32(o.QPS)
	c.Burst = o.Burst
	return c
}

// Protobuf returns a copy of cfg that talks protobuf, for clients of built-in
// kinds only: decoding is cheaper and lists are smaller than JSON. Custom
// resources only speak JSON, so never use it for dynamic or CRD clients.
func Protobuf(cfg *rest.Config) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	c.ContentType = "application/vnd.kubernetes.protobuf"
	return c
}
