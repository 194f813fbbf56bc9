{{- define "autonomy-syncd.labels" -}}
app.kubernetes.io/name: autonomy-syncd
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
{{- define "autonomy-syncd.selector" -}}
app.kubernetes.io/name: autonomy-syncd
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
