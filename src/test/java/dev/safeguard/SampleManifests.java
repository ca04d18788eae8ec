package dev.safeguard;

import java.util.Map;

/** The Deployments the webhook and end-to-end tests send, as a user would write them. */
public final class SampleManifests {

    private SampleManifests() {
    }

    /** The deny-level rules {@link #careless} violates with the built-in pack. */
    public static final String[] CARELESS_DENIED = {"replicas-spread", "readiness-probe", "resource-requests", "image-tag"};

    /** A Deployment that passes every rule that is on by default. */
    public static String compliant(String namespace, String name) {
        return """
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
                """.replace("NAMESPACE", namespace).replace("NAME", name);
    }

    /**
     * A hurried Deployment: three replicas with no spread, no readiness probe, no requests, a :latest image
     * ({@link #CARELESS_DENIED}), and warn- and audit-level findings besides. {@code livenessProbe:} with no
     * value counts as no probe.
     */
    public static String careless(String namespace, String name) {
        return """
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
                          livenessProbe:
                """.replace("NAMESPACE", namespace).replace("NAME", name);
    }

    /**
     * A one-replica Deployment "web" pinned to :latest: image-tag (deny) is its only deny-level violation, so dates,
     * exemptions and namespace policies of that one rule decide whether it is admitted.
     *
     * @param annotations metadata.annotations (exemptions), none when empty
     */
    public static String onlyImageTagDenied(String namespace, Map<String, String> annotations) {
        StringBuilder flow = new StringBuilder();
        annotations.forEach((key, value) -> flow.append(flow.isEmpty() ? "" : ", ").append(key).append(": '")
                .append(value.replace("'", "''")).append("'"));
        return """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: web
                  namespace: %s
                  annotations: {%s}
                spec:
                  replicas: 1
                  selector: {matchLabels: {app: web}}
                  template:
                    metadata: {labels: {app: web}}
                    spec:
                      containers:
                        - name: web
                          image: registry.example.com/web:latest
                          readinessProbe: {httpGet: {path: /ready, port: 8080}}
                          resources: {requests: {cpu: 100m, memory: 128Mi}}
                """.formatted(namespace, flow);
    }
}
