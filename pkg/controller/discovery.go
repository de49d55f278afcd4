package controller

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/rest"
)

// discoveryTimeout bounds one discovery request when the config sets no
// timeout (client-go's discovery client uses the same default).
const discoveryTimeout = 32 * time.Second

// restDiscoverer asks the API server which resources a group/version serves.
type restDiscoverer struct {
	client rest.Interface
}

// NewResourceDiscoverer returns an uncached ResourceDiscoverer for cfg. It
// GETs /api/v1 or /apis/<group>/<version> like client-go's discovery client,
// whose package is not used because it imports kubernetes/scheme and so
// links every API group into the binary.
func NewResourceDiscoverer(cfg *rest.Config) (ResourceDiscoverer, error) {
	c := rest.CopyConfig(cfg)
	c.APIPath, c.GroupVersion = "", nil
	if c.Timeout == 0 {
		c.Timeout = discoveryTimeout
	}
	if c.UserAgent == "" {
		c.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	// APIResourceList and Status are meta/v1 "unversioned" types: a scheme
	// holding only meta/v1 decodes both.
	scheme := runtime.NewScheme()
	metav1.AddToGroupVersion(scheme, schema.GroupVersion{Version: "v1"})
	c.NegotiatedSerializer = serializer.NewCodecFactory(scheme).WithoutConversion()
	client, err := rest.UnversionedRESTClientFor(c)
	if err != nil {
		return nil, fmt.Errorf("discovery client: %w", err)
	}
	return &restDiscoverer{client: client}, nil
}

// ServerResourcesForGroupVersion returns the resources groupVersion serves, or
// an error for which apierrors.IsNotFound is true if it is not served.
func (d *restDiscoverer) ServerResourcesForGroupVersion(groupVersion string) (*metav1.APIResourceList, error) {
	if groupVersion == "" {
		return nil, fmt.Errorf("groupVersion shouldn't be empty")
	}
	path := "/apis/" + groupVersion
	if groupVersion == "v1" {
		path = "/api/v1"
	}
	list := &metav1.APIResourceList{GroupVersion: groupVersion}
	if err := d.client.Get().AbsPath(path).Do(context.Background()).Into(list); err != nil {
		// As client-go's discovery does: core/v1 not found is an empty list.
		if groupVersion == "v1" && apierrors.IsNotFound(err) {
			return list, nil
		}
		return nil, err
	}
	return list, nil
}
