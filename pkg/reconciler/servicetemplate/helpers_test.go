package servicetemplate

import (
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func errNotFound() error {
	return apierrors.NewNotFound(schema.GroupResource{Group: "aim.eai.amd.com", Resource: "aimmodels"}, "m")
}
