package audit

import "fmt"

// Change is one apiVersion and kind that Kubernetes deprecated and, for most, later stopped
// serving.
type Change struct {
	// APIVersion and Kind are the API the object is written with, e.g. extensions/v1beta1 Ingress.
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	// DeprecatedIn is the minor release (of Kubernetes 1.x) from which the API server warns about
	// the API; 0 when unknown.
	DeprecatedIn int `json:"deprecatedIn,omitempty"`
	// RemovedIn is the minor release from which the API is no longer served; 0 while it is still
	// served.
	RemovedIn int `json:"removedIn,omitempty"`
	// Replacement is the API to migrate to, e.g. networking.k8s.io/v1 Ingress.
	Replacement string `json:"replacement"`
	// Note is what changes on migration, when it is more than the apiVersion.
	Note string `json:"note,omitempty"`
}

// Release is the part of the table for one Kubernetes minor release.
type Release struct {
	// Minor is the release's minor version: 16 for v1.16.
	Minor int
	// Removed are the APIs the release stopped serving, as the deprecated API migration guide
	// lists them.
	Removed []Change
	// Deprecated are APIs the release deprecated that no release up to the newest in the table
	// has removed.
	Deprecated []Change
	// Note says so when the deprecated API migration guide lists no removal for the release.
	Note string
}

// Version returns the release as "v1.16".
func (r Release) Version() string { return Version(r.Minor) }

// Version formats a minor release of Kubernetes 1.x as "v1.16".
func Version(minor int) string { return fmt.Sprintf("v1.%d", minor) }

// FirstMinor and LastMinor bound the releases the table covers.
const (
	FirstMinor = 16
	LastMinor  = 37
)

const noRemoval = "the deprecated API migration guide lists no API removed in this release"

// releases is the table, one entry per release from v1.16 to v1.37. Removals follow the
// Kubernetes deprecated API migration guide
// (https://kubernetes.io/docs/reference/using-api/deprecation-guide/); the release that deprecated
// each API follows the warning the API server sends with it ("... is deprecated in v1.19+,
// unavailable in v1.22+"), and, for the APIs removed in v1.16 (before those warnings existed),
// the release notes.
var releases = []Release{
	{Minor: 16, Removed: []Change{
		{APIVersion: "extensions/v1beta1", Kind: "NetworkPolicy", DeprecatedIn: 9, Replacement: "networking.k8s.io/v1 NetworkPolicy"},
		{APIVersion: "extensions/v1beta1", Kind: "DaemonSet", DeprecatedIn: 9, Replacement: "apps/v1 DaemonSet",
			Note: "spec.selector is required and immutable; spec.updateStrategy.type defaults to RollingUpdate"},
		{APIVersion: "apps/v1beta2", Kind: "DaemonSet", DeprecatedIn: 9, Replacement: "apps/v1 DaemonSet",
			Note: "spec.selector is required and immutable; spec.updateStrategy.type defaults to RollingUpdate"},
		{APIVersion: "extensions/v1beta1", Kind: "Deployment", DeprecatedIn: 9, Replacement: "apps/v1 Deployment",
			Note: "spec.selector is required and immutable; spec.rollbackTo is removed; maxSurge and maxUnavailable default to 25%"},
		{APIVersion: "apps/v1beta1", Kind: "Deployment", DeprecatedIn: 9, Replacement: "apps/v1 Deployment",
			Note: "spec.selector is required and immutable; spec.rollbackTo is removed"},
		{APIVersion: "apps/v1beta2", Kind: "Deployment", DeprecatedIn: 9, Replacement: "apps/v1 Deployment",
			Note: "spec.selector is required and immutable"},
		{APIVersion: "apps/v1beta1", Kind: "StatefulSet", DeprecatedIn: 9, Replacement: "apps/v1 StatefulSet",
			Note: "spec.selector is required and immutable; spec.updateStrategy.type defaults to RollingUpdate"},
		{APIVersion: "apps/v1beta2", Kind: "StatefulSet", DeprecatedIn: 9, Replacement: "apps/v1 StatefulSet",
			Note: "spec.selector is required and immutable"},
		{APIVersion: "extensions/v1beta1", Kind: "ReplicaSet", DeprecatedIn: 9, Replacement: "apps/v1 ReplicaSet",
			Note: "spec.selector is required and immutable"},
		{APIVersion: "apps/v1beta1", Kind: "ReplicaSet", DeprecatedIn: 9, Replacement: "apps/v1 ReplicaSet",
			Note: "spec.selector is required and immutable"},
		{APIVersion: "apps/v1beta2", Kind: "ReplicaSet", DeprecatedIn: 9, Replacement: "apps/v1 ReplicaSet",
			Note: "spec.selector is required and immutable"},
		{APIVersion: "extensions/v1beta1", Kind: "PodSecurityPolicy", DeprecatedIn: 10, Replacement: "policy/v1beta1 PodSecurityPolicy",
			Note: "policy/v1beta1 PodSecurityPolicy is itself removed in v1.25: move to Pod Security Admission"},
	}},
	{Minor: 17, Note: noRemoval},
	{Minor: 18, Note: noRemoval},
	{Minor: 19, Note: noRemoval, Deprecated: []Change{
		{APIVersion: "v1", Kind: "ComponentStatus", DeprecatedIn: 19,
			Replacement: "no replacement API: query each component's /livez and /readyz endpoints"},
	}},
	{Minor: 20, Note: noRemoval},
	{Minor: 21, Note: noRemoval},
	{Minor: 22, Removed: []Change{
		{APIVersion: "admissionregistration.k8s.io/v1beta1", Kind: "MutatingWebhookConfiguration", DeprecatedIn: 16, Replacement: "admissionregistration.k8s.io/v1 MutatingWebhookConfiguration",
			Note: "failurePolicy defaults to Fail; sideEffects and admissionReviewVersions are required"},
		{APIVersion: "admissionregistration.k8s.io/v1beta1", Kind: "ValidatingWebhookConfiguration", DeprecatedIn: 16, Replacement: "admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration",
			Note: "failurePolicy defaults to Fail; sideEffects and admissionReviewVersions are required"},
		{APIVersion: "apiextensions.k8s.io/v1beta1", Kind: "CustomResourceDefinition", DeprecatedIn: 16, Replacement: "apiextensions.k8s.io/v1 CustomResourceDefinition",
			Note: "spec.scope is required; every version needs a structural schema in spec.versions[*].schema"},
		{APIVersion: "apiregistration.k8s.io/v1beta1", Kind: "APIService", DeprecatedIn: 19, Replacement: "apiregistration.k8s.io/v1 APIService"},
		{APIVersion: "authentication.k8s.io/v1beta1", Kind: "TokenReview", DeprecatedIn: 19, Replacement: "authentication.k8s.io/v1 TokenReview"},
		{APIVersion: "authorization.k8s.io/v1beta1", Kind: "LocalSubjectAccessReview", DeprecatedIn: 19, Replacement: "authorization.k8s.io/v1 LocalSubjectAccessReview",
			Note: "spec.group is renamed spec.groups"},
		{APIVersion: "authorization.k8s.io/v1beta1", Kind: "SelfSubjectAccessReview", DeprecatedIn: 19, Replacement: "authorization.k8s.io/v1 SelfSubjectAccessReview",
			Note: "spec.group is renamed spec.groups"},
		{APIVersion: "authorization.k8s.io/v1beta1", Kind: "SubjectAccessReview", DeprecatedIn: 19, Replacement: "authorization.k8s.io/v1 SubjectAccessReview",
			Note: "spec.group is renamed spec.groups"},
		{APIVersion: "authorization.k8s.io/v1beta1", Kind: "SelfSubjectRulesReview", DeprecatedIn: 19, Replacement: "authorization.k8s.io/v1 SelfSubjectRulesReview"},
		{APIVersion: "certificates.k8s.io/v1beta1", Kind: "CertificateSigningRequest", DeprecatedIn: 19, Replacement: "certificates.k8s.io/v1 CertificateSigningRequest",
			Note: "spec.signerName and spec.usages are required"},
		{APIVersion: "coordination.k8s.io/v1beta1", Kind: "Lease", DeprecatedIn: 19, Replacement: "coordination.k8s.io/v1 Lease"},
		{APIVersion: "extensions/v1beta1", Kind: "Ingress", DeprecatedIn: 14, Replacement: "networking.k8s.io/v1 Ingress",
			Note: "spec.backend is renamed spec.defaultBackend; serviceName/servicePort become service.name/service.port; pathType is required"},
		{APIVersion: "networking.k8s.io/v1beta1", Kind: "Ingress", DeprecatedIn: 19, Replacement: "networking.k8s.io/v1 Ingress",
			Note: "spec.backend is renamed spec.defaultBackend; serviceName/servicePort become service.name/service.port; pathType is required"},
		{APIVersion: "networking.k8s.io/v1beta1", Kind: "IngressClass", DeprecatedIn: 19, Replacement: "networking.k8s.io/v1 IngressClass"},
		{APIVersion: "rbac.authorization.k8s.io/v1beta1", Kind: "ClusterRole", DeprecatedIn: 17, Replacement: "rbac.authorization.k8s.io/v1 ClusterRole"},
		{APIVersion: "rbac.authorization.k8s.io/v1beta1", Kind: "ClusterRoleBinding", DeprecatedIn: 17, Replacement: "rbac.authorization.k8s.io/v1 ClusterRoleBinding"},
		{APIVersion: "rbac.authorization.k8s.io/v1beta1", Kind: "Role", DeprecatedIn: 17, Replacement: "rbac.authorization.k8s.io/v1 Role"},
		{APIVersion: "rbac.authorization.k8s.io/v1beta1", Kind: "RoleBinding", DeprecatedIn: 17, Replacement: "rbac.authorization.k8s.io/v1 RoleBinding"},
		{APIVersion: "scheduling.k8s.io/v1beta1", Kind: "PriorityClass", DeprecatedIn: 14, Replacement: "scheduling.k8s.io/v1 PriorityClass"},
		{APIVersion: "storage.k8s.io/v1beta1", Kind: "CSIDriver", DeprecatedIn: 19, Replacement: "storage.k8s.io/v1 CSIDriver"},
		{APIVersion: "storage.k8s.io/v1beta1", Kind: "CSINode", DeprecatedIn: 17, Replacement: "storage.k8s.io/v1 CSINode"},
		{APIVersion: "storage.k8s.io/v1beta1", Kind: "StorageClass", DeprecatedIn: 19, Replacement: "storage.k8s.io/v1 StorageClass"},
		{APIVersion: "storage.k8s.io/v1beta1", Kind: "VolumeAttachment", DeprecatedIn: 19, Replacement: "storage.k8s.io/v1 VolumeAttachment"},
	}},
	{Minor: 23, Note: noRemoval},
	{Minor: 24, Note: noRemoval},
	{Minor: 25, Removed: []Change{
		{APIVersion: "batch/v1beta1", Kind: "CronJob", DeprecatedIn: 21, Replacement: "batch/v1 CronJob"},
		{APIVersion: "discovery.k8s.io/v1beta1", Kind: "EndpointSlice", DeprecatedIn: 21, Replacement: "discovery.k8s.io/v1 EndpointSlice",
			Note: "topology is replaced by per-endpoint nodeName and zone"},
		{APIVersion: "events.k8s.io/v1beta1", Kind: "Event", DeprecatedIn: 19, Replacement: "events.k8s.io/v1 Event",
			Note: "involvedObject is renamed regarding; type is Normal or Warning"},
		{APIVersion: "autoscaling/v2beta1", Kind: "HorizontalPodAutoscaler", DeprecatedIn: 22, Replacement: "autoscaling/v2 HorizontalPodAutoscaler",
			Note: "targetAverageUtilization becomes target.averageUtilization with target.type: Utilization"},
		{APIVersion: "policy/v1beta1", Kind: "PodDisruptionBudget", DeprecatedIn: 21, Replacement: "policy/v1 PodDisruptionBudget",
			Note: "an empty spec.selector selects every pod of the namespace in policy/v1 (none in v1beta1)"},
		{APIVersion: "policy/v1beta1", Kind: "PodSecurityPolicy", DeprecatedIn: 21,
			Replacement: "no replacement API: Pod Security Admission or a third-party admission webhook"},
		{APIVersion: "node.k8s.io/v1beta1", Kind: "RuntimeClass", DeprecatedIn: 22, Replacement: "node.k8s.io/v1 RuntimeClass"},
	}},
	{Minor: 26, Removed: []Change{
		{APIVersion: "flowcontrol.apiserver.k8s.io/v1beta1", Kind: "FlowSchema", DeprecatedIn: 23, Replacement: "flowcontrol.apiserver.k8s.io/v1 FlowSchema"},
		{APIVersion: "flowcontrol.apiserver.k8s.io/v1beta1", Kind: "PriorityLevelConfiguration", DeprecatedIn: 23, Replacement: "flowcontrol.apiserver.k8s.io/v1 PriorityLevelConfiguration"},
		{APIVersion: "autoscaling/v2beta2", Kind: "HorizontalPodAutoscaler", DeprecatedIn: 23, Replacement: "autoscaling/v2 HorizontalPodAutoscaler"},
	}},
	{Minor: 27, Removed: []Change{
		{APIVersion: "storage.k8s.io/v1beta1", Kind: "CSIStorageCapacity", DeprecatedIn: 24, Replacement: "storage.k8s.io/v1 CSIStorageCapacity"},
	}},
	{Minor: 28, Note: noRemoval},
	{Minor: 29, Removed: []Change{
		{APIVersion: "flowcontrol.apiserver.k8s.io/v1beta2", Kind: "FlowSchema", DeprecatedIn: 26, Replacement: "flowcontrol.apiserver.k8s.io/v1 FlowSchema"},
		{APIVersion: "flowcontrol.apiserver.k8s.io/v1beta2", Kind: "PriorityLevelConfiguration", DeprecatedIn: 26, Replacement: "flowcontrol.apiserver.k8s.io/v1 PriorityLevelConfiguration",
			Note: "spec.limited.assuredConcurrencyShares is renamed spec.limited.nominalConcurrencyShares"},
	}},
	{Minor: 30, Note: noRemoval},
	{Minor: 31, Note: noRemoval},
	{Minor: 32, Removed: []Change{
		{APIVersion: "flowcontrol.apiserver.k8s.io/v1beta3", Kind: "FlowSchema", DeprecatedIn: 29, Replacement: "flowcontrol.apiserver.k8s.io/v1 FlowSchema"},
		{APIVersion: "flowcontrol.apiserver.k8s.io/v1beta3", Kind: "PriorityLevelConfiguration", DeprecatedIn: 29, Replacement: "flowcontrol.apiserver.k8s.io/v1 PriorityLevelConfiguration",
			Note: "an explicit spec.limited.nominalConcurrencyShares of 0 is no longer changed to 30"},
	}},
	{Minor: 33, Note: noRemoval, Deprecated: []Change{
		{APIVersion: "v1", Kind: "Endpoints", DeprecatedIn: 33, Replacement: "discovery.k8s.io/v1 EndpointSlice"},
	}},
	{Minor: 34, Note: noRemoval},
	{Minor: 35, Note: noRemoval},
	{Minor: 36, Note: noRemoval},
	{Minor: 37, Note: noRemoval},
}

// Releases returns the table: one entry per release from v1.16 to v1.37, in order. The entries
// of Removed carry RemovedIn.
func Releases() []Release {
	out := make([]Release, len(releases))
	for i, r := range releases {
		out[i] = r
		out[i].Removed = make([]Change, len(r.Removed))
		for j, c := range r.Removed {
			c.RemovedIn = r.Minor
			out[i].Removed[j] = c
		}
		out[i].Deprecated = append([]Change(nil), r.Deprecated...)
	}
	return out
}
