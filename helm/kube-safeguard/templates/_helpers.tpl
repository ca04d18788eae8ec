{{/* The chart name, overridable. */}}
{{- define "kube-safeguard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name used for every object: the release name when it already contains the chart name
(helm install kube-safeguard ...), else <release>-<chart>. Truncated to 63 characters (DNS label).
*/}}
{{- define "kube-safeguard.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "kube-safeguard.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "kube-safeguard.labels" -}}
helm.sh/chart: {{ include "kube-safeguard.chart" . }}
{{ include "kube-safeguard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: admission-webhook
app.kubernetes.io/part-of: kube-safeguard
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Labels selecting the webhook pods: Deployment, Service, PDB, topology spread, NetworkPolicy. */}}
{{- define "kube-safeguard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kube-safeguard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "kube-safeguard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kube-safeguard.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* image@digest, or image:tag with the tag defaulting to the appVersion. */}}
{{- define "kube-safeguard.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The Secret holding tls.crt and tls.key (and ca.crt unless existingSecret). */}}
{{- define "kube-safeguard.tlsSecretName" -}}
{{- if eq .Values.tls.mode "existingSecret" }}
{{- required "tls.existingSecret.name is required when tls.mode is existingSecret" .Values.tls.existingSecret.name }}
{{- else }}
{{- printf "%s-tls" (include "kube-safeguard.fullname" .) }}
{{- end }}
{{- end }}

{{/* The serving certificate's DNS names: the API server connects to <service>.<namespace>.svc. */}}
{{- define "kube-safeguard.dnsNames" -}}
{{- $service := include "kube-safeguard.fullname" . -}}
{{- $namespace := .Release.Namespace -}}
{{- list $service (printf "%s.%s" $service $namespace) (printf "%s.%s.svc" $service $namespace) (printf "%s.%s.svc.cluster.local" $service $namespace) | toJson }}
{{- end }}

{{/* The cert-manager Certificate that serves the webhook. */}}
{{- define "kube-safeguard.servingCertificateName" -}}
{{- printf "%s-serving" (include "kube-safeguard.fullname" .) }}
{{- end }}

{{/*
The self-signed CA and serving certificate, as YAML {ca, crt, key} with base64 values.
On upgrade, reuses the Secret the release already has (lookup), so helm upgrade never rotates the CA under
a running webhook; generates both on install, or when the Secret is gone (delete it to rotate).
Only upgrades look up: an install has nothing to reuse, and `helm template` (an install) then never needs
a cluster. `helm template` and --dry-run always show freshly generated certificates.
Include it once per render (webhook.yaml does) so the Secret and the caBundle agree.
*/}}
{{- define "kube-safeguard.selfSignedTls" -}}
{{- $secretName := include "kube-safeguard.tlsSecretName" . -}}
{{- $existing := dict -}}
{{- if .Release.IsUpgrade }}
{{- $existing = lookup "v1" "Secret" .Release.Namespace $secretName -}}
{{- end }}
{{- if and $existing $existing.data (index $existing.data "tls.crt") (index $existing.data "tls.key") (index $existing.data "ca.crt") }}
ca: {{ index $existing.data "ca.crt" }}
crt: {{ index $existing.data "tls.crt" }}
key: {{ index $existing.data "tls.key" }}
{{- else }}
{{- $days := int .Values.tls.selfSigned.validityDays }}
{{- $ca := genCA (printf "%s-ca" (include "kube-safeguard.fullname" .)) $days }}
{{- $dnsNames := include "kube-safeguard.dnsNames" . | fromJsonArray }}
{{- $cert := genSignedCert (index $dnsNames 2) nil $dnsNames $days $ca }}
ca: {{ $ca.Cert | b64enc }}
crt: {{ $cert.Cert | b64enc }}
key: {{ $cert.Key | b64enc }}
{{- end }}
{{- end }}

{{/* The service's answer to its own internal errors follows the API server's failurePolicy. */}}
{{- define "kube-safeguard.onInternalError" -}}
{{- if eq .Values.webhook.failurePolicy "Fail" }}deny{{ else }}allow{{ end }}
{{- end }}

{{/* An IntOrString value: percentages quoted, numbers as integers. */}}
{{- define "kube-safeguard.intOrString" -}}
{{- if kindIs "string" . }}{{ quote . }}{{ else }}{{ int64 . }}{{ end }}
{{- end }}

{{/*
Background audit (audit-*.yaml). Its pods must never match the webhook's selector labels: the webhook's
Service, PodDisruptionBudget, NetworkPolicy and topology spread select {name, instance}, and a Deployment's
selector cannot change on upgrade. So the audit's app.kubernetes.io/name is <name>-audit.
*/}}
{{- define "kube-safeguard.auditName" -}}
{{- printf "%s-audit" (include "kube-safeguard.fullname" . | trunc 57 | trimSuffix "-") }}
{{- end }}

{{/* The audit's app.kubernetes.io/name, and so its Prometheus job (jobLabel of the ServiceMonitor). */}}
{{- define "kube-safeguard.auditAppName" -}}
{{- printf "%s-audit" (include "kube-safeguard.name" . | trunc 57 | trimSuffix "-") }}
{{- end }}

{{- define "kube-safeguard.auditSelectorLabels" -}}
app.kubernetes.io/name: {{ include "kube-safeguard.auditAppName" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "kube-safeguard.auditLabels" -}}
helm.sh/chart: {{ include "kube-safeguard.chart" . }}
{{ include "kube-safeguard.auditSelectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: background-audit
app.kubernetes.io/part-of: kube-safeguard
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "kube-safeguard.auditServiceAccountName" -}}
{{- if .Values.audit.serviceAccount.create }}
{{- default (include "kube-safeguard.auditName" .) .Values.audit.serviceAccount.name }}
{{- else }}
{{- required "audit.serviceAccount.name is required when audit.serviceAccount.create is false" .Values.audit.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
What the rules judge and need as context, read-only: the webhook's ClusterRole and the audit's share it, so
both see the same kinds (plus rbac.extraReadRules).
*/}}
{{- define "kube-safeguard.readRules" -}}
- apiGroups: [""]
  resources: [pods, services, namespaces, replicationcontrollers]
  verbs: [get, list, watch]
- apiGroups: [apps]
  resources: [deployments, statefulsets, daemonsets, replicasets]
  verbs: [get, list, watch]
- apiGroups: [batch]
  resources: [jobs, cronjobs]
  verbs: [get, list, watch]
- apiGroups: [policy]
  resources: [poddisruptionbudgets]
  verbs: [get, list, watch]
- apiGroups: [autoscaling]
  resources: [horizontalpodautoscalers]
  verbs: [get, list, watch]
{{- range .Values.rbac.extraReadRules }}
- apiGroups: {{ toJson .apiGroups }}
  resources: {{ toJson .resources }}
  verbs: [get, list, watch]
{{- end }}
{{- end }}

{{/* The name of every report the audit writes (the Java side's contract; the audit's RBAC names it). */}}
{{- define "kube-safeguard.reportName" -}}
kube-safeguard
{{- end }}

{{/* CRD schema (crds.yaml): a reference to one object, as core/v1 ObjectReference. */}}
{{- define "kube-safeguard.crdObjectReference" -}}
type: object
x-kubernetes-map-type: atomic
properties:
  apiVersion:
    type: string
  kind:
    type: string
  namespace:
    type: string
  name:
    type: string
  uid:
    type: string
  resourceVersion:
    type: string
  fieldPath:
    type: string
{{- end }}

{{/* CRD schema (crds.yaml): a metav1 LabelSelector. */}}
{{- define "kube-safeguard.crdLabelSelector" -}}
type: object
x-kubernetes-map-type: atomic
properties:
  matchLabels:
    type: object
    additionalProperties:
      type: string
  matchExpressions:
    type: array
    x-kubernetes-list-type: atomic
    items:
      type: object
      required: [key, operator]
      properties:
        key:
          type: string
        operator:
          type: string
        values:
          type: array
          x-kubernetes-list-type: atomic
          items:
            type: string
{{- end }}
