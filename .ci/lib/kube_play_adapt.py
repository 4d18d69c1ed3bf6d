#!/usr/bin/env python3
"""Adapt a rendered overlay (kubectl kustomize) to what `podman kube play`
4.3 (Debian 12) runs, for .ci/kube-e2e. Reads YAML on stdin, writes YAML
on stdout and, on stderr, one line per thing it changed or dropped.

    kube_play_adapt.py SECRETS_DIR GATEWAY_PORT DATA_API_PORT POSTGRES_UID VOLUME_PREFIX

- podman 4.3 plays Pod, Deployment, PersistentVolumeClaim and ConfigMap only:
  Namespace, Service, NetworkPolicy and PodDisruptionBudget are dropped;
  each Deployment and StatefulSet becomes one Pod named after its Service, so
  the names in DATABASE_URL, REDIS_URL and UPSTREAM_URLS resolve on the
  podman network (pod names are DNS names there);
- an emptyDir becomes a podman named volume called after the volume alone
  ("run", "tmp"), shared by every pod and kept from one run to the next with
  whatever owner it got first: each is renamed VOLUME_PREFIX-POD-NAME, fresh
  for the run (so it takes the image's owner and mode, as Kubernetes' fresh
  emptyDir would); podman ignores `medium: Memory` (a disk volume);
- podman 4.3 gives every pod it plays the exit policy `stop`: when a pod's
  only container stops (a liveness restart does that first), podman stops
  the pod's infra container, and the start that follows fails ("cannot get
  namespace path unless container ... is running"), leaving the pod down.
  Kubernetes keeps a pod's sandbox through container restarts; a `sandbox`
  container that only sleeps does that here;
- Secret volumes are not supported: each Secret is written to
  SECRETS_DIR/NAME/KEY and mounted from there (hostPath), at the same path;
- volumeClaimTemplates become PersistentVolumeClaims (podman named volumes);
- podman runs an httpGet probe as curl and a tcpSocket probe as nc, neither in
  the images: /health/KIND becomes the binary's own `NAME healthcheck --KIND`
  (the same request), a tcpSocket probe the container's readiness command
  with the startup budget as its start period;
- images are named with their localhost/ registry (nothing can be pulled);
- the gateway and data-api ports are published on 127.0.0.1 for the test;
- the postgres stand-in's user is not the official image's uid 999.
"""
import base64
import copy
import os
import sys

import yaml

DROPPED = {"Namespace", "Service", "NetworkPolicy", "PodDisruptionBudget", "Secret"}


def note(text):
    print(f"kube-play: {text}", file=sys.stderr)


def write_secrets(secrets, directory):
    for secret in secrets:
        name = secret["metadata"]["name"]
        folder = os.path.join(directory, name)
        os.makedirs(folder, mode=0o755, exist_ok=True)
        for key, value in (secret.get("data") or {}).items():
            path = os.path.join(folder, key)
            with open(path, "wb") as handle:
                handle.write(base64.b64decode(value))
            os.chmod(path, 0o444)  # no fsGroup under podman: readable by the pod's user
        note(f"Secret {name}: written under {folder}, mounted as hostPath")


def adapt_probes(container):
    ready = container.get("readinessProbe", {}).get("exec")
    for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
        probe = container.get(kind)
        if not probe:
            continue
        if "httpGet" in probe:
            path = probe.pop("httpGet")["path"]
            probe["exec"] = {"command": [container["name"], "healthcheck", "--" + path.rsplit("/", 1)[-1]]}
            note(f"{container['name']} {kind}: GET {path} -> {' '.join(probe['exec']['command'])}")
        elif "tcpSocket" in probe and ready:
            probe.pop("tcpSocket")
            probe["exec"] = copy.deepcopy(ready)
            # That command fails until the server is fully up (initdb can take a
            # while): give it the startup probe's budget as a start period, in
            # case this podman does not hold liveness back until startup passes.
            startup = container.get("startupProbe", {})
            probe["initialDelaySeconds"] = startup.get("periodSeconds", 10) * startup.get("failureThreshold", 3)
            note(f"{container['name']} {kind}: tcpSocket -> the readiness command, start period {probe['initialDelaySeconds']} s")


def to_pod(workload, args):
    secrets_dir, gateway_port, data_api_port, postgres_uid, volume_prefix = args
    name = workload["metadata"]["name"]
    spec = workload["spec"]["template"]["spec"]
    renamed = {}
    for volume in spec.get("volumes", []):
        if "emptyDir" in volume:
            renamed[volume["name"]] = f"{volume_prefix}-{name}-{volume['name']}"
            volume["name"] = renamed[volume["name"]]
        if "secret" in volume:
            secret_name = volume.pop("secret")["secretName"]
            volume["hostPath"] = {"path": os.path.join(secrets_dir, secret_name), "type": "Directory"}
    for claim in workload["spec"].get("volumeClaimTemplates", []):
        spec.setdefault("volumes", []).append(
            {"name": claim["metadata"]["name"], "persistentVolumeClaim": {"claimName": f"{volume_prefix}-{name}-{claim['metadata']['name']}"}})
    published = {"gateway": gateway_port, "data-api": data_api_port}
    for container in spec["containers"]:
        for mount in container.get("volumeMounts", []):
            mount["name"] = renamed.get(mount["name"], mount["name"])
        container["image"] = "localhost/" + container["image"]
        adapt_probes(container)
        if name in published:
            container["ports"][0].update({"hostPort": int(published[name]), "hostIP": "127.0.0.1"})
    if name == "postgres":
        spec["securityContext"].update({"runAsUser": int(postgres_uid), "runAsGroup": int(postgres_uid), "fsGroup": int(postgres_uid)})
        note(f"postgres: runs as the stand-in's postgres user ({postgres_uid})")
    first = spec["containers"][0]
    spec["containers"].append({
        "name": "sandbox", "image": first["image"], "command": ["sh", "-c", "trap 'exit 0' INT TERM; sleep infinity & wait"],
        "securityContext": copy.deepcopy(first.get("securityContext", {})),
        "resources": {"requests": {"cpu": "1m", "memory": "4Mi"}, "limits": {"cpu": "10m", "memory": "16Mi"}},
    })
    note(f"{name}: + a sandbox container (sleep), so a liveness restart finds the pod's infra running")
    if renamed:
        note(f"{name}: emptyDir volumes {', '.join(sorted(renamed))} -> fresh named volumes {', '.join(sorted(renamed.values()))}")
    note(f"{workload['kind']} {name} -> Pod {name}")
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": workload["spec"]["template"]["metadata"]["labels"]}, "spec": spec}


def claims(workload, volume_prefix):
    for claim in workload["spec"].get("volumeClaimTemplates", []):
        name = f"{volume_prefix}-{workload['metadata']['name']}-{claim['metadata']['name']}"
        yield {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name}, "spec": claim["spec"]}


def main(args):
    if len(args) != 5:
        sys.exit(__doc__)
    objects = [o for o in yaml.safe_load_all(sys.stdin) if o]
    write_secrets([o for o in objects if o["kind"] == "Secret"], args[0])
    out = []
    for obj in objects:
        if obj["kind"] in ("Deployment", "StatefulSet"):
            out.extend(claims(obj, args[4]))
            out.append(to_pod(obj, args))
        elif obj["kind"] in DROPPED:
            if obj["kind"] != "Secret":
                note(f"dropped {obj['kind']} {obj['metadata']['name']} (podman kube play ignores it)")
        else:
            sys.exit(f"kube-play: unexpected kind {obj['kind']}")
    yaml.safe_dump_all(out, sys.stdout, sort_keys=False)


if __name__ == "__main__":
    main(sys.argv[1:])
