package localcluster

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
)

const (
	// DefaultStorageClass is the name of the default StorageClass created at start.
	DefaultStorageClass = "standard"
	// pvForLabel marks the PersistentVolumes the binder made, so it only ever deletes its own.
	pvForLabel = "localcluster.aimlite.dev/pv-for"
	// fakeProvisioner is never served: the PV binder below plays its part.
	fakeProvisioner = "localcluster.aimlite.dev/hostpath"
)

// EnsureDefaultStorageClass creates the default StorageClass (Immediate binding) if it is missing.
func EnsureDefaultStorageClass(ctx context.Context, c kubernetes.Interface) error {
	immediate := storagev1.VolumeBindingImmediate
	del := corev1.PersistentVolumeReclaimDelete
	sc := &storagev1.StorageClass{
		ObjectMeta: metav1.ObjectMeta{
			Name:        DefaultStorageClass,
			Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"},
		},
		Provisioner:       fakeProvisioner,
		VolumeBindingMode: &immediate,
		ReclaimPolicy:     &del,
	}
	_, err := c.StorageV1().StorageClasses().Create(ctx, sc, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// RunPVBinder plays a storage provisioner until ctx ends: for every Pending PVC without a volume it creates a
// matching hostPath PersistentVolume pre-bound to the claim (kcm's PV binder then binds both), and it deletes
// its own volumes once they are Released. hostDir is only a path recorded in the PV; nothing is written there.
func RunPVBinder(ctx context.Context, c kubernetes.Interface, hostDir string) error {
	f := informers.NewSharedInformerFactory(c, 10*time.Minute)
	pvcs := f.Core().V1().PersistentVolumeClaims()
	pvs := f.Core().V1().PersistentVolumes()
	kick := make(chan struct{}, 1)
	onEvent := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { trigger(kick) },
		UpdateFunc: func(any, any) { trigger(kick) },
		DeleteFunc: func(any) { trigger(kick) },
	}
	if _, err := pvcs.Informer().AddEventHandler(onEvent); err != nil {
		return err
	}
	if _, err := pvs.Informer().AddEventHandler(onEvent); err != nil {
		return err
	}
	f.Start(ctx.Done())
	defer f.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), pvcs.Informer().HasSynced, pvs.Informer().HasSynced) {
		return ctx.Err()
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-kick:
		case <-time.After(5 * time.Second): // retry failed creates
		}
		claims, _ := pvcs.Lister().List(everything)
		volumes, _ := pvs.Lister().List(everything)
		have := map[string]bool{}
		for _, pv := range volumes {
			if pv.Labels[pvForLabel] == "" {
				continue
			}
			have[pv.Name] = true
			if pv.Status.Phase == corev1.VolumeReleased || pv.Status.Phase == corev1.VolumeFailed {
				if err := c.CoreV1().PersistentVolumes().Delete(ctx, pv.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
					klog.ErrorS(err, "delete released volume", "pv", pv.Name)
				}
			}
		}
		for _, pvc := range claims {
			if pvc.Spec.VolumeName != "" || pvc.Status.Phase != corev1.ClaimPending || pvc.DeletionTimestamp != nil {
				continue
			}
			pv := volumeFor(pvc, hostDir)
			if have[pv.Name] {
				continue
			}
			if _, err := c.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				klog.ErrorS(err, "create volume", "pvc", pvc.Namespace+"/"+pvc.Name)
			}
		}
	}
}

var everything = labels.Everything()

func trigger(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func volumeFor(pvc *corev1.PersistentVolumeClaim, hostDir string) *corev1.PersistentVolume {
	size := pvc.Spec.Resources.Requests[corev1.ResourceStorage]
	if size.IsZero() {
		size = resource.MustParse("1Gi")
	}
	modes := pvc.Spec.AccessModes
	if len(modes) == 0 {
		modes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}
	}
	class := ""
	if pvc.Spec.StorageClassName != nil {
		class = *pvc.Spec.StorageClassName
	}
	hostPathType := corev1.HostPathDirectoryOrCreate
	name := fmt.Sprintf("pvc-%s", pvc.UID)
	return &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{pvForLabel: "true"}},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: size},
			AccessModes:                   modes,
			StorageClassName:              class,
			VolumeMode:                    pvc.Spec.VolumeMode,
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
			ClaimRef: &corev1.ObjectReference{
				Kind: "PersistentVolumeClaim", APIVersion: "v1",
				Namespace: pvc.Namespace, Name: pvc.Name, UID: pvc.UID,
			},
			PersistentVolumeSource: corev1.PersistentVolumeSource{
				HostPath: &corev1.HostPathVolumeSource{Path: filepath.Join(hostDir, name), Type: &hostPathType},
			},
		},
	}
}
