{{/* Names, labels and small helpers shared by the templates. No objects here. */}}

{{- define "knd.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "knd.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "knd.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "knd.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: knd
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "knd.operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "knd.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "knd.agent.selectorLabels" -}}
app.kubernetes.io/name: {{ include "knd.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: agent
{{- end -}}

{{- define "knd.operator.fullname" -}}
{{- printf "%s-operator" (include "knd.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "knd.agent.fullname" -}}
{{- printf "%s-agent" (include "knd.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "knd.operator.serviceAccountName" -}}
{{- if .Values.operator.serviceAccount.create -}}
{{- default (include "knd.operator.fullname" .) .Values.operator.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.operator.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "knd.agent.serviceAccountName" -}}
{{- if .Values.agent.serviceAccount.create -}}
{{- default (include "knd.agent.fullname" .) .Values.agent.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.agent.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "knd.image" -}}
{{- printf "%s:%s" .image.repository (default .chart.AppVersion .image.tag) -}}
{{- end -}}

{{/* The DRA driver name; fixed: it is knd's public API (lib/api/constants.ts DRIVER_NAME). */}}
{{- define "knd.driverName" -}}knd.dev{{- end -}}

{{/* KUBERNETES_SERVICE_HOST/PORT overrides, for clusters where the `kubernetes` Service is not served
to pods (no kube-proxy or replacement); empty values keep what the kubelet injects. */}}
{{- define "knd.apiServerEnv" -}}
{{- with .Values.kubernetesService.host }}
- name: KUBERNETES_SERVICE_HOST
  value: {{ . | quote }}
{{- end }}
{{- with .Values.kubernetesService.port }}
- name: KUBERNETES_SERVICE_PORT
  value: {{ . | toString | quote }}
{{- end }}
{{- end -}}

{{/* The agent's probes go where it listens: the kubelet probes from the host network namespace,
which a hostNetwork pod shares, so a loopback address works. hostIP: the default, the pod IP. */}}
{{- define "knd.agent.probeHost" -}}
{{- if ne .Values.agent.listenAddress "hostIP" -}}
host: {{ .Values.agent.listenAddress | quote }}
{{- end -}}
{{- end -}}
