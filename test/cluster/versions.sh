# shellcheck shell=bash disable=SC2034
# The one place that names the versions of the real peers knd is built and tested against (sourced by
# lib.sh; read by test/support/versions.ts). Each can be overridden from the environment.
#
# Default: the newest stable Kubernetes the Go module proxy serves, with the etcd release that
# Kubernetes release is tested with (its build/dependencies.yaml).
KND_KUBE_VERSION=${KND_KUBE_VERSION:-v1.37.2}
KND_ETCD_VERSION=${KND_ETCD_VERSION:-v3.7.0}
KND_CONTAINERD_VERSION=${KND_CONTAINERD_VERSION:-v2.3.7}
KND_CRICTL_VERSION=${KND_CRICTL_VERSION:-v1.37.0}
KND_HELM_VERSION=${KND_HELM_VERSION:-v3.19.0}
# The older minors of the supported window: the control-plane tier runs again against each
# (test/compat/run.sh), with the etcd release each is tested with.
KND_COMPAT_VERSIONS=${KND_COMPAT_VERSIONS:-v1.35.4:v3.6.16 v1.36.3:v3.6.16}
# The version-skew case: a kubelet this many minors behind the control plane (the kubelet may lag
# the apiserver by up to three minors).
KND_SKEW_KUBELET_VERSION=${KND_SKEW_KUBELET_VERSION:-v1.35.4}
