{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "helm-doctor.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: the release name when it already holds the chart name; room is left for "-remediate". */}}
{{- define "helm-doctor.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "helm-doctor.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "helm-doctor.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "helm-doctor.selectorLabels" -}}
app.kubernetes.io/name: {{ include "helm-doctor.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The namespaces granted: `namespaces`, or the release's own. */}}
{{- define "helm-doctor.namespaces" -}}
{{- if .Values.namespaces }}{{ toJson .Values.namespaces }}{{ else }}{{ toJson (list .Release.Namespace) }}{{ end }}
{{- end }}

{{- define "helm-doctor.allNamespaces" -}}
{{- if has "*" .Values.namespaces }}true{{ end }}
{{- end }}

{{- define "helm-doctor.secretName" -}}
{{- default (printf "%s-slack" (include "helm-doctor.fullname" .)) .Values.slack.existingSecret }}
{{- end }}

{{- define "helm-doctor.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "helm-doctor.redisHost" -}}
{{- printf "%s-redis" (include "helm-doctor.fullname" .) }}
{{- end }}

{{/* Does this install run the Slack front end (serve)? The agents (worker, watch) and the Roles? */}}
{{- define "helm-doctor.frontend" -}}
{{- if ne .Values.role "agent" }}true{{ end }}
{{- end }}
{{- define "helm-doctor.agent" -}}
{{- if ne .Values.role "frontend" }}true{{ end }}
{{- end }}

{{/* Values that only make sense together; included by every install (serviceaccount.yaml). */}}
{{- define "helm-doctor.validate" -}}
{{- if eq .Values.role "agent" }}
{{- if not .Values.redis.url }}
{{- fail "role agent connects out to the front end's Redis: set redis.url (redis://… or rediss://…)" }}
{{- end }}
{{- if not .Values.cluster }}
{{- fail "role agent needs cluster: this cluster's name (HELM_DOCTOR_CLUSTER), as commands address it" }}
{{- end }}
{{- end }}
{{- if and .Values.watch.enabled (include "helm-doctor.agent" .) }}
{{- if not (or .Values.watch.alertChannel .Values.routes.default .Values.routes.routes) }}
{{- fail "watch.enabled needs watch.alertChannel (a channel ID) or routes with a default or routes" }}
{{- end }}
{{- end }}
{{- end }}

{{/* HELM_DOCTOR_WATCH_NAMESPACES: the granted namespaces ("*" for all). */}}
{{- define "helm-doctor.watchNamespaces" -}}
{{- include "helm-doctor.namespaces" . | fromJsonArray | join "," }}
{{- end }}

{{/* Environment shared by serve, worker and watch. */}}
{{- define "helm-doctor.env" -}}
- name: REDIS_URL
{{- if .Values.redis.url }}
  valueFrom:
    secretKeyRef:
      name: {{ printf "%s-redis-url" (include "helm-doctor.fullname" .) }}
      key: REDIS_URL
{{- else }}
  value: {{ printf "redis://%s:6379" (include "helm-doctor.redisHost" .) | quote }}
{{- end }}
- name: SLACK_BOT_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "helm-doctor.secretName" . }}
      key: SLACK_BOT_TOKEN
- name: HELM_DOCTOR_DEFAULT_NAMESPACE
  value: {{ include "helm-doctor.defaultNamespace" . | quote }}
- name: LOG_FORMAT
  value: {{ .Values.logs.format | quote }}
- name: LOG_LEVEL
  value: {{ .Values.logs.level | quote }}
{{- with .Values.slack.apiUrl }}
- name: SLACK_API_URL
  value: {{ . | quote }}
{{- end }}
{{- if .Values.policy }}
- name: HELM_DOCTOR_POLICY
  value: /etc/helm-doctor/policy.yaml
{{- end }}
{{- with .Values.cluster }}
- name: HELM_DOCTOR_CLUSTER
  value: {{ . | quote }}
{{- end }}
- name: HELM_DOCTOR_HEARTBEAT_SECONDS
  value: {{ .Values.heartbeatSeconds | quote }}
{{- if .Values.routes }}
- name: HELM_DOCTOR_ROUTES
  value: /etc/helm-doctor-routes/routes.yaml
{{- end }}
{{- end }}

{{- define "helm-doctor.defaultNamespace" -}}
{{- if .Values.defaultNamespace }}{{ .Values.defaultNamespace }}
{{- else if and .Values.namespaces (ne (first .Values.namespaces) "*") }}{{ first .Values.namespaces }}
{{- else }}{{ .Release.Namespace }}{{ end }}
{{- end }}

{{/* Volumes of serve and worker: a writable /tmp (the root filesystem is read-only) and the policy. */}}
{{- define "helm-doctor.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- if .Values.policy }}
- name: policy
  configMap:
    name: {{ printf "%s-policy" (include "helm-doctor.fullname" .) }}
{{- end }}
{{- if .Values.routes }}
- name: routes
  configMap:
    name: {{ printf "%s-routes" (include "helm-doctor.fullname" .) }}
{{- end }}
{{- end }}

{{- define "helm-doctor.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.policy }}
- name: policy
  mountPath: /etc/helm-doctor
  readOnly: true
{{- end }}
{{- if .Values.routes }}
- name: routes
  mountPath: /etc/helm-doctor-routes
  readOnly: true
{{- end }}
{{- end }}
