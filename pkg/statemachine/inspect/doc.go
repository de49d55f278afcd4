// Package inspect turns common Kubernetes objects into statemachine.ComponentHealth: Jobs, PVCs, Pods
// (termination reasons, image-pull errors, log-line patterns and scheduling events), Deployments and
// Gateway API HTTPRoutes (unstructured). Reasons and messages follow the contract catalogue §2.3–2.6.
// Every inspector accepts nil.
package inspect
