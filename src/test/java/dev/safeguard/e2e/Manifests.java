package dev.safeguard.e2e;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.Serialization;

/** The Deployments the scenarios send, as a user would write them. */
final class Manifests {

    private Manifests() {
    }

    /** The deny-level rules {@link #careless} violates with the built-in pack. */
    static final String[] CARELESS_DENIED = {"replicas-spread", "readiness-probe", "resource-requests", "image-tag"};

    /** Passes every rule that is on by default. */
    static Deployment compliant(String namespace, String name) {
        return deployment("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: NAME, namespace: NAMESPACE, labels: {app: NAME}}
                spec:
                  replicas: 3
                  selector: {matchLabels: {app: NAME}}
                  template:
                    metadata: {labels: {app: NAME}}
                    spec:
                      securityContext:
                        runAsNonRoot: true
                        seccompProfile: {type: RuntimeDefault}
                      topologySpreadConstraints:
                        - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway,
                           labelSelector: {matchLabels: {app: NAME}}}
                      containers:
                        - name: web
                          image: registry.example.com/shop/web:1.4.2
                          resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {memory: 256Mi}}
                          readinessProbe: {httpGet: {path: /ready, port: 8080}}
                          livenessProbe: {httpGet: {path: /live, port: 8080}}
                          securityContext:
                            allowPrivilegeEscalation: false
                            readOnlyRootFilesystem: true
                            capabilities: {drop: [ALL]}
                """, namespace, name);
    }

    /**
     * A hurried manifest: three replicas with no spread, no readiness probe, no requests, a :latest image
     * ({@link #CARELESS_DENIED}), and warn-level findings besides (no liveness probe, no memory limit).
     */
    static Deployment careless(String namespace, String name) {
        return deployment("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: NAME, namespace: NAMESPACE}
                spec:
                  replicas: 3
                  selector: {matchLabels: {app: NAME}}
                  template:
                    metadata: {labels: {app: NAME}}
                    spec:
                      containers:
                        - name: api
                          image: shop/api:latest
                """, namespace, name);
    }

    private static Deployment deployment(String yaml, String namespace, String name) {
        return Serialization.unmarshal(yaml.replace("NAMESPACE", namespace).replace("NAME", name), Deployment.class);
    }
}
