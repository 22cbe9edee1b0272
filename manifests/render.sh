#!/usr/bin/env bash
# Render the DNS add-on manifests for a cluster: domain, DNS service IP, image registry, version, replicas.
# Prints rbac.yaml, skydns-rc.yaml and skydns-svc.yaml as one YAML stream (or writes them to --out DIR):
#   manifests/render.sh --domain=corp.example --dns-ip=10.96.0.10 --registry=registry.corp.example/dns | kubectl create -f -
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: manifests/render.sh [--domain=D] [--dns-ip=IP] [--registry=R] [--version=V] [--replicas=N] [--out=DIR]

Renders manifests/rbac.yaml, skydns-rc.yaml and skydns-svc.yaml with your values:
  --domain    cluster domain (kubelet --cluster-domain)              default cluster.local
  --dns-ip    static ClusterIP of kube-dns (kubelet --cluster-dns)   default 10.0.0.10
  --registry  where the kube-dns-legacy-* images were pushed         default localhost:5000
  --version   tag of those images                                    default 0.1.0
  --replicas  number of DNS pods                                     default 1
  --out       write the three files into DIR instead of printing one YAML stream
USAGE
}

domain=cluster.local dns_ip=10.0.0.10 registry=localhost:5000 version=0.1.0 replicas=1 out=''
while (($#)); do
  arg=$1
  shift
  case $arg in
    -h | --help) usage; exit 0 ;;
    --*=*) name=${arg%%=*} value=${arg#*=} ;;
    --*) name=$arg value=${1-}; (($#)) && shift ;;
    *) echo "render.sh: unexpected argument \"$arg\"" >&2; usage >&2; exit 2 ;;
  esac
  case $name in
    --domain) domain=$value ;;
    --dns-ip) dns_ip=$value ;;
    --registry) registry=$value ;;
    --version) version=$value ;;
    --replicas) replicas=$value ;;
    --out) out=$value ;;
    *) echo "render.sh: unknown flag $name" >&2; usage >&2; exit 2 ;;
  esac
done

fail() { echo "render.sh: $1" >&2; exit 2; }
label='[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?'
[[ ${domain,,} == "$domain" && $domain =~ ^$label(\.$label)*$ && ${#domain} -le 253 ]] ||
  fail "invalid --domain \"$domain\": expected a lower-case DNS name such as cluster.local (no trailing dot)"
octet='(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])'
[[ $dns_ip =~ ^$octet\.$octet\.$octet\.$octet$ ]] || fail "invalid --dns-ip \"$dns_ip\": expected an IPv4 address inside the service CIDR"
[[ $registry =~ ^[a-zA-Z0-9][-a-zA-Z0-9._:/]*[a-zA-Z0-9]$ ]] || fail "invalid --registry \"$registry\": expected host[:port][/path]"
[[ $version =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || fail "invalid --version \"$version\": expected an image tag"
[[ $replicas =~ ^[0-9]+$ ]] || fail "invalid --replicas \"$replicas\": expected a number"

here=$(cd "$(dirname "$0")" && pwd)
render() {
  sed -e "s/cluster\.local/$domain/g" \
    -e "s/10\.0\.0\.10/$dns_ip/g" \
    -e "s#localhost:5000/kube-dns-legacy-\([a-z0-9]*\):0\.1\.0#$registry/kube-dns-legacy-\1:$version#g" \
    -e "s#localhost:5000#$registry#g" \
    -e "s/^  replicas: 1\$/  replicas: $replicas/" \
    "$here/$1"
}

files=(rbac.yaml skydns-rc.yaml skydns-svc.yaml)
if [[ -n $out ]]; then
  mkdir -p "$out"
  for f in "${files[@]}"; do render "$f" >"$out/$f"; done
  echo "render.sh: wrote ${files[*]} to $out (kubectl create -f $out)" >&2
else
  first=1
  for f in "${files[@]}"; do
    ((first)) || echo '---'
    first=0
    render "$f"
  done
fi
