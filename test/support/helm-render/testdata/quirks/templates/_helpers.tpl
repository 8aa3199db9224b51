{{- define "quirks.labels" -}}
app: {{ .Chart.Name }}
release: {{ .Release.Name }}
{{- end }}
