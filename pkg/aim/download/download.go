// Package download builds the objects that fill an AIMArtifact's cache (check-size Job, PVC
// with headroom, download Job, status-updater RoleBinding) and interprets their results
// (check-size output, display sizes, the DownloadComplete condition). It is pure.
package download

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aimlite/aimlite/pkg/aim/constants"
	"github.com/aimlite/aimlite/pkg/aim/envmerge"
	"github.com/aimlite/aimlite/pkg/aim/naming"
)

// Fixed values of the artifact children (catalogue C6–C9, §6.3, §6.4, §7).
const (
	StatusUpdaterName      = "aim-engine-artifact-status-updater"
	CheckSizeContainer     = "check-size"
	DownloadContainer      = "model-download"
	CacheVolume            = "cache"
	MountPath              = "/cache"
	CheckSizeCommand       = "/check-size.sh"
	CheckSizeBackoffLimit  = int32(2)
	CheckSizeTTLSeconds    = int32(300)
	DownloadBackoffLimit   = int32(2)
	DownloadTTLSeconds     = int32(600)
	RunAsID                = int64(1000)
	MaxSizeBytes           = int64(1) << 50
	DefaultHeadroomPercent = int32(10)
)

// Artifact is the part of an AIMArtifact its children are built from.
type Artifact struct {
	Name, Namespace, UID string
	SourceURI            string
	Image                string // spec.modelDownloadImage, else the default
	ImagePullSecrets     []corev1.LocalObjectReference
	RuntimeConfigEnv     []corev1.EnvVar
	Env                  []corev1.EnvVar
	TemplateCreated      bool // label template-created=true
}

func (a Artifact) image() string {
	if a.Image == "" {
		return constants.DefaultDownloaderImage
	}
	return a.Image
}

func jobLabels(a Artifact, component string) map[string]string {
	return map[string]string{
		constants.LabelCacheName: a.Name,
		constants.LabelCacheType: constants.CacheTypeArtifact,
		constants.LabelComponent: component,
	}
}

func ptr[T any](v T) *T { return &v }

// CheckSizeJob builds the Job whose last log line reports the source size.
func CheckSizeJob(a Artifact) *batchv1.Job {
	labels := jobLabels(a, constants.ComponentCheckSize)
	return &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: naming.CheckSizeJobName(a.Name, a.UID), Namespace: a.Namespace, Labels: labels},
		Spec: batchv1.JobSpec{
			BackoffLimit:            ptr(CheckSizeBackoffLimit),
			TTLSecondsAfterFinished: ptr(CheckSizeTTLSeconds),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: copyMap(labels)},
				Spec: corev1.PodSpec{
					RestartPolicy:    corev1.RestartPolicyNever,
					ImagePullSecrets: a.ImagePullSecrets,
					SecurityContext:  &corev1.PodSecurityContext{RunAsUser: ptr(RunAsID), RunAsGroup: ptr(RunAsID), RunAsNonRoot: ptr(true)},
					Containers: []corev1.Container{{
						Name:            CheckSizeContainer,
						Image:           a.image(),
						ImagePullPolicy: corev1.PullIfNotPresent,
						Command:         []string{CheckSizeCommand},
						Args:            []string{a.SourceURI},
						Env:             envmerge.Merge(a.RuntimeConfigEnv, a.Env),
					}},
				},
			},
		},
	}
}

// DownloadJob builds the Job that downloads the weights into the PVC.
func DownloadJob(a Artifact, pvcName string, sizeBytes int64) *batchv1.Job {
	labels := jobLabels(a, constants.ComponentDownload)
	defaults := []corev1.EnvVar{
		{Name: "AIM_DOWNLOADER_PROTOCOL", Value: "XET,HF_TRANSFER"},
		{Name: "TMPDIR", Value: "/tmp/"},
		{Name: "HF_HOME", Value: "/tmp/.hf"},
		{Name: "EXPECTED_SIZE_BYTES", Value: strconv.FormatInt(sizeBytes, 10)},
		{Name: "MOUNT_PATH", Value: MountPath},
		{Name: "ARTIFACT_NAME", Value: a.Name},
		{Name: "ARTIFACT_NAMESPACE", Value: a.Namespace},
		{Name: "STALL_TIMEOUT", Value: "120"},
		{Name: "TARGET_DIR", Value: MountPath},
	}
	return &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: naming.DownloadJobName(a.Name, a.UID), Namespace: a.Namespace, Labels: labels},
		Spec: batchv1.JobSpec{
			BackoffLimit:            ptr(DownloadBackoffLimit),
			TTLSecondsAfterFinished: ptr(DownloadTTLSeconds),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: copyMap(labels)},
				Spec: corev1.PodSpec{
					RestartPolicy:    corev1.RestartPolicyNever,
					ImagePullSecrets: a.ImagePullSecrets,
					SecurityContext: &corev1.PodSecurityContext{RunAsUser: ptr(RunAsID), RunAsGroup: ptr(RunAsID),
						FSGroup: ptr(RunAsID), RunAsNonRoot: ptr(true)},
					Volumes: []corev1.Volume{{Name: CacheVolume, VolumeSource: corev1.VolumeSource{
						PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: pvcName}}}},
					Containers: []corev1.Container{{
						Name:            DownloadContainer,
						Image:           a.image(),
						ImagePullPolicy: corev1.PullIfNotPresent,
						SecurityContext: &corev1.SecurityContext{RunAsUser: ptr(RunAsID), RunAsGroup: ptr(RunAsID)},
						Args:            []string{a.SourceURI},
						VolumeMounts:    []corev1.VolumeMount{{Name: CacheVolume, MountPath: MountPath}},
						Env:             envmerge.Merge(envmerge.Merge(defaults, a.RuntimeConfigEnv), a.Env),
					}},
				},
			},
		},
	}
}

// PVC builds the cache claim: RWX, sized with headroom, storage class nil when empty (the
// cluster default applies).
func PVC(a Artifact, sizeBytes int64, headroomPercent int32, storageClass string) *corev1.PersistentVolumeClaim {
	labels := map[string]string{constants.LabelCacheName: a.Name}
	if a.TemplateCreated {
		labels[constants.LabelCacheType] = constants.CacheTypeTemplateCache
	}
	src := a.SourceURI
	if i := strings.Index(src, "://"); i >= 0 {
		src = src[i+3:]
	}
	if v := naming.LabelValue(src); v != "" {
		labels[constants.LabelSourceModel] = v
	}
	pvc := &corev1.PersistentVolumeClaim{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: metav1.ObjectMeta{Name: naming.ArtifactPVCName(a.Name, a.UID), Namespace: a.Namespace, Labels: labels},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceStorage: QuantityWithHeadroom(sizeBytes, headroomPercent)}},
		},
	}
	if storageClass != "" {
		pvc.Spec.StorageClassName = ptr(storageClass)
	}
	return pvc
}

// RoleBinding lets the namespace's default service account (the downloader's) patch
// aimartifacts/status with progress.
func RoleBinding(namespace string) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: StatusUpdaterName, Namespace: namespace},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "default", Namespace: namespace}},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: StatusUpdaterName},
	}
}

const gi = int64(1) << 30

// QuantityWithHeadroom is ceil(size × (1 + headroom/100) / 2^30) × 2^30 bytes, BinarySI.
func QuantityWithHeadroom(sizeBytes int64, headroomPercent int32) resource.Quantity {
	if headroomPercent < 0 {
		headroomPercent = 0
	}
	with := float64(sizeBytes) * (1 + float64(headroomPercent)/100)
	gib := int64(math.Ceil(with / float64(gi)))
	if gib < 1 {
		gib = 1
	}
	return *resource.NewQuantity(gib*gi, resource.BinarySI)
}

// ParseCheckSizeOutput parses the check-size container's last log line, `{"url":…,"sizeBytes":N}`,
// requiring 0 < N ≤ 2^50.
func ParseCheckSizeOutput(line string) (int64, error) {
	line = strings.TrimSpace(line)
	if line == "" {
		return 0, fmt.Errorf("no output from check-size job")
	}
	var out struct {
		URL       string `json:"url"`
		SizeBytes int64  `json:"sizeBytes"`
	}
	if err := json.Unmarshal([]byte(line), &out); err != nil {
		return 0, fmt.Errorf("failed to parse check-size output: %v", err)
	}
	if out.SizeBytes <= 0 || out.SizeBytes > MaxSizeBytes {
		return 0, fmt.Errorf("invalid size: %d bytes", out.SizeBytes)
	}
	return out.SizeBytes, nil
}

// DisplaySize prints bytes in binary units with a space ("0 B", "15 GiB", "1.5 GiB");
// values of 100 or more print as integers.
func DisplaySize(b int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	v := float64(b)
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if v >= 100 || v == math.Trunc(v) {
		return fmt.Sprintf("%d %s", int64(math.Round(v)), units[i])
	}
	s := strconv.FormatFloat(v, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	return s + " " + units[i]
}

// Completion is the DownloadComplete condition derived from the Job and the progress.
type Completion struct {
	Status  metav1.ConditionStatus
	Reason  string
	Message string
	// Warning: the condition is a failure (Warning event on transition).
	Warning bool
	// ForceComplete: progress must be set to 100 %.
	ForceComplete bool
	// NotApplicable: progress.displayPercentage must read "N/A".
	NotApplicable bool
}

// DownloadComplete derives the condition (catalogue §1.5).
func DownloadComplete(jobSucceeded, failed bool, percentage int32) Completion {
	switch {
	case jobSucceeded:
		return Completion{Status: metav1.ConditionTrue, Reason: "Verified", Message: "Download and verification complete", ForceComplete: true}
	case failed && percentage >= 100:
		return Completion{Status: metav1.ConditionFalse, Reason: "VerificationFailed", Message: "Download completed but verification failed", Warning: true, NotApplicable: true}
	case failed:
		return Completion{Status: metav1.ConditionFalse, Reason: "Downloading", Message: "Download failed before completion", Warning: true, NotApplicable: true}
	case percentage >= 100:
		return Completion{Status: metav1.ConditionTrue, Reason: "Verifying", Message: "Download complete, verifying integrity..."}
	}
	return Completion{Status: metav1.ConditionFalse, Reason: "Downloading", Message: "Download in progress"}
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
