package aimclient

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/gentype"
	"k8s.io/client-go/rest"

	aimv1 "github.com/aimlite/aimlite/pkg/apis/aim/v1alpha1"
	"github.com/aimlite/aimlite/pkg/generated/clientset/versioned/scheme"
	"github.com/aimlite/aimlite/pkg/kubeclient"
)

// Interface is the AIM clientset the operator uses: a typed client per kind,
// without apply (apply goes through the dynamic client).
type Interface interface {
	AimV1alpha1() AimV1alpha1Interface
}

// AimV1alpha1Interface has one client per kind, shaped like the generated
// clientset's so code reads the same.
type AimV1alpha1Interface interface {
	AIMArtifacts(namespace string) kubeclient.StatusClient[*aimv1.AIMArtifact, *aimv1.AIMArtifactList]
	AIMClusterModels() kubeclient.StatusClient[*aimv1.AIMClusterModel, *aimv1.AIMClusterModelList]
	AIMClusterModelSources() kubeclient.StatusClient[*aimv1.AIMClusterModelSource, *aimv1.AIMClusterModelSourceList]
	AIMClusterRuntimeConfigs() kubeclient.StatusClient[*aimv1.AIMClusterRuntimeConfig, *aimv1.AIMClusterRuntimeConfigList]
	AIMClusterServiceTemplates() kubeclient.StatusClient[*aimv1.AIMClusterServiceTemplate, *aimv1.AIMClusterServiceTemplateList]
	AIMModels(namespace string) kubeclient.StatusClient[*aimv1.AIMModel, *aimv1.AIMModelList]
	AIMRuntimeConfigs(namespace string) kubeclient.StatusClient[*aimv1.AIMRuntimeConfig, *aimv1.AIMRuntimeConfigList]
	AIMServices(namespace string) kubeclient.StatusClient[*aimv1.AIMService, *aimv1.AIMServiceList]
	AIMServiceTemplates(namespace string) kubeclient.StatusClient[*aimv1.AIMServiceTemplate, *aimv1.AIMServiceTemplateList]
	AIMTemplateCaches(namespace string) kubeclient.StatusClient[*aimv1.AIMTemplateCache, *aimv1.AIMTemplateCacheList]
}

// Clientset implements Interface with one REST client for the group.
type Clientset struct{ rc rest.Interface }

var _ Interface = (*Clientset)(nil)

// NewForConfig builds a Clientset (JSON: custom resources do not speak protobuf).
func NewForConfig(cfg *rest.Config) (*Clientset, error) {
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	c := *cfg
	gv := aimv1.SchemeGroupVersion
	c.GroupVersion = &gv
	c.APIPath = "/apis"
	c.NegotiatedSerializer = rest.CodecFactoryForGeneratedClient(scheme.Scheme, scheme.Codecs).WithoutConversion()
	if c.UserAgent == "" {
		c.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	rc, err := rest.RESTClientForConfigAndClient(&c, httpClient)
	if err != nil {
		return nil, err
	}
	return &Clientset{rc: rc}, nil
}

// NewForConfigOrDie is NewForConfig for tests and main: it panics on error.
func NewForConfigOrDie(cfg *rest.Config) *Clientset {
	c, err := NewForConfig(cfg)
	if err != nil {
		panic(err)
	}
	return c
}

// AimV1alpha1 returns the per-kind clients.
func (c *Clientset) AimV1alpha1() AimV1alpha1Interface { return c }

func newClient[T interface {
	runtime.Object
	metav1.Object
}, L runtime.Object](rc rest.Interface, resource, namespace string, newT func() T, newL func() L) *gentype.ClientWithList[T, L] {
	return gentype.NewClientWithList(resource, rc, scheme.ParameterCodec, namespace, newT, newL)
}

func (c *Clientset) AIMArtifacts(namespace string) kubeclient.StatusClient[*aimv1.AIMArtifact, *aimv1.AIMArtifactList] {
	return newClient(c.rc, "aimartifacts", namespace, func() *aimv1.AIMArtifact { return &aimv1.AIMArtifact{} }, func() *aimv1.AIMArtifactList { return &aimv1.AIMArtifactList{} })
}

func (c *Clientset) AIMClusterModels() kubeclient.StatusClient[*aimv1.AIMClusterModel, *aimv1.AIMClusterModelList] {
	return newClient(c.rc, "aimclustermodels", "", func() *aimv1.AIMClusterModel { return &aimv1.AIMClusterModel{} }, func() *aimv1.AIMClusterModelList { return &aimv1.AIMClusterModelList{} })
}

func (c *Clientset) AIMClusterModelSources() kubeclient.StatusClient[*aimv1.AIMClusterModelSource, *aimv1.AIMClusterModelSourceList] {
	return newClient(c.rc, "aimclustermodelsources", "", func() *aimv1.AIMClusterModelSource { return &aimv1.AIMClusterModelSource{} }, func() *aimv1.AIMClusterModelSourceList { return &aimv1.AIMClusterModelSourceList{} })
}

func (c *Clientset) AIMClusterRuntimeConfigs() kubeclient.StatusClient[*aimv1.AIMClusterRuntimeConfig, *aimv1.AIMClusterRuntimeConfigList] {
	return newClient(c.rc, "aimclusterruntimeconfigs", "", func() *aimv1.AIMClusterRuntimeConfig { return &aimv1.AIMClusterRuntimeConfig{} }, func() *aimv1.AIMClusterRuntimeConfigList { return &aimv1.AIMClusterRuntimeConfigList{} })
}

func (c *Clientset) AIMClusterServiceTemplates() kubeclient.StatusClient[*aimv1.AIMClusterServiceTemplate, *aimv1.AIMClusterServiceTemplateList] {
	return newClient(c.rc, "aimclusterservicetemplates", "", func() *aimv1.AIMClusterServiceTemplate { return &aimv1.AIMClusterServiceTemplate{} }, func() *aimv1.AIMClusterServiceTemplateList { return &aimv1.AIMClusterServiceTemplateList{} })
}

func (c *Clientset) AIMModels(namespace string) kubeclient.StatusClient[*aimv1.AIMModel, *aimv1.AIMModelList] {
	return newClient(c.rc, "aimmodels", namespace, func() *aimv1.AIMModel { return &aimv1.AIMModel{} }, func() *aimv1.AIMModelList { return &aimv1.AIMModelList{} })
}

func (c *Clientset) AIMRuntimeConfigs(namespace string) kubeclient.StatusClient[*aimv1.AIMRuntimeConfig, *aimv1.AIMRuntimeConfigList] {
	return newClient(c.rc, "aimruntimeconfigs", namespace, func() *aimv1.AIMRuntimeConfig { return &aimv1.AIMRuntimeConfig{} }, func() *aimv1.AIMRuntimeConfigList { return &aimv1.AIMRuntimeConfigList{} })
}

func (c *Clientset) AIMServices(namespace string) kubeclient.StatusClient[*aimv1.AIMService, *aimv1.AIMServiceList] {
	return newClient(c.rc, "aimservices", namespace, func() *aimv1.AIMService { return &aimv1.AIMService{} }, func() *aimv1.AIMServiceList { return &aimv1.AIMServiceList{} })
}

func (c *Clientset) AIMServiceTemplates(namespace string) kubeclient.StatusClient[*aimv1.AIMServiceTemplate, *aimv1.AIMServiceTemplateList] {
	return newClient(c.rc, "aimservicetemplates", namespace, func() *aimv1.AIMServiceTemplate { return &aimv1.AIMServiceTemplate{} }, func() *aimv1.AIMServiceTemplateList { return &aimv1.AIMServiceTemplateList{} })
}

func (c *Clientset) AIMTemplateCaches(namespace string) kubeclient.StatusClient[*aimv1.AIMTemplateCache, *aimv1.AIMTemplateCacheList] {
	return newClient(c.rc, "aimtemplatecaches", namespace, func() *aimv1.AIMTemplateCache { return &aimv1.AIMTemplateCache{} }, func() *aimv1.AIMTemplateCacheList { return &aimv1.AIMTemplateCacheList{} })
}
