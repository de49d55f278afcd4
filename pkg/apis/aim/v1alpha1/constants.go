package v1alpha1

// Values of status.status. Each kind's CRD enum admits a subset (see the kind's Status field).
const (
	AIMStatusPending      AIMStatus = "Pending"
	AIMStatusStarting     AIMStatus = "Starting"
	AIMStatusProgressing  AIMStatus = "Progressing"
	AIMStatusReady        AIMStatus = "Ready"
	AIMStatusRunning      AIMStatus = "Running"
	AIMStatusDegraded     AIMStatus = "Degraded"
	AIMStatusNotAvailable AIMStatus = "NotAvailable"
	AIMStatusFailed       AIMStatus = "Failed"
)

// Metrics.
const (
	AIMMetricLatency    AIMMetric = "latency"
	AIMMetricThroughput AIMMetric = "throughput"
)

// Precisions.
const (
	AIMPrecisionAuto AIMPrecision = "auto"
	AIMPrecisionFP4  AIMPrecision = "fp4"
	AIMPrecisionFP8  AIMPrecision = "fp8"
	AIMPrecisionFP16 AIMPrecision = "fp16"
	AIMPrecisionFP32 AIMPrecision = "fp32"
	AIMPrecisionBF16 AIMPrecision = "bf16"
	AIMPrecisionINT4 AIMPrecision = "int4"
	AIMPrecisionINT8 AIMPrecision = "int8"
)

// Profile types.
const (
	AIMProfileTypeOptimized   AIMProfileType = "optimized"
	AIMProfileTypePreview     AIMProfileType = "preview"
	AIMProfileTypeUnoptimized AIMProfileType = "unoptimized"
)

// Resolution scopes.
const (
	AIMResolutionScopeNamespace AIMResolutionScope = "Namespace"
	AIMResolutionScopeCluster   AIMResolutionScope = "Cluster"
	AIMResolutionScopeMerged    AIMResolutionScope = "Merged"
	AIMResolutionScopeUnknown   AIMResolutionScope = "Unknown"
)

// Caching modes. Always and Auto are legacy spellings of Shared, Never of Dedicated.
const (
	AIMCachingModeShared    AIMCachingMode = "Shared"
	AIMCachingModeDedicated AIMCachingMode = "Dedicated"
	AIMCachingModeAuto      AIMCachingMode = "Auto"
	AIMCachingModeAlways    AIMCachingMode = "Always"
	AIMCachingModeNever     AIMCachingMode = "Never"
)

// Model source types (status.sourceType).
const (
	AIMModelSourceTypeImage  AIMModelSourceType = "Image"
	AIMModelSourceTypeCustom AIMModelSourceType = "Custom"
)

// Autoscaling enums.
const (
	AIMMetricSourceTypePodMetric   = "PodMetric"
	AIMMetricBackendOpenTelemetry  = "opentelemetry"
	AIMMetricTargetValue           = "Value"
	AIMMetricTargetAverageValue    = "AverageValue"
	AIMMetricTargetUtilization     = "Utilization"
	DefaultGPUResourceName         = "amd.com/gpu"
	DefaultModelSourceRegistry     = "docker.io"
	DefaultPVCHeadroomPercent      = 10
	DefaultModelSourceMaxModels    = 100
	DefaultModelSourceSyncInterval = "1h"
)

// Framework condition types, set on every pipeline kind.
const (
	ConditionTypeReady                 = "Ready"
	ConditionTypeDependenciesReachable = "DependenciesReachable"
	ConditionTypeAuthValid             = "AuthValid"
	ConditionTypeConfigValid           = "ConfigValid"
)
