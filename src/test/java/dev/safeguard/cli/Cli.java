package dev.safeguard.cli;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Runs the command line in-process, as {@code java -jar ... <args>} would, capturing stdout and stderr. */
final class Cli {

    record Run(int exit, String out, String err) {
    }

    private Cli() {
    }

    static Run run(String... args) {
        return run(new ByteArrayInputStream(new byte[0]), args);
    }

    static Run runWithStdin(String stdin, String... args) {
        return run(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), args);
    }

    static Run run(InputStream stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = SafeguardCommand.run(stdin, new PrintWriter(out), new PrintWriter(err), args);
        return new Run(exit, out.toString(), err.toString());
    }

    static Path write(Path directory, String name, String content) throws IOException {
        Path file = directory.resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
        return file;
    }

    /** A Deployment every built-in rule accepts (with {@link #BUDGET} beside it for pdb-for-replicas). */
    static final String GOOD_DEPLOYMENT = deployment("web", "shop", 3, true);

    /** A PodDisruptionBudget for {@link #GOOD_DEPLOYMENT} that allows one eviction. */
    static final String BUDGET = """
            apiVersion: policy/v1
            kind: PodDisruptionBudget
            metadata:
              name: web
              namespace: shop
            spec:
              maxUnavailable: 1
              selector:
                matchLabels: {app: web}
            """;

    /**
     * A Deployment of pods labelled app=NAME that passes every built-in rule except, without {@code spread}
     * and with more than one replica, replicas-spread (deny). A null namespace leaves metadata.namespace out.
     */
    static String deployment(String name, String namespace, int replicas, boolean spread) {
        String spreadBlock = !spread ? "" : """
                      topologySpreadConstraints:
                        - maxSkew: 1
                          topologyKey: kubernetes.io/hostname
                          whenUnsatisfiable: ScheduleAnyway
                          labelSelector:
                            matchLabels: {app: %s}
                """.formatted(name);
        return """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: %1$s
                %2$sspec:
                  replicas: %3$d
                  selector:
                    matchLabels: {app: %1$s}
                  template:
                    metadata:
                      labels: {app: %1$s}
                    spec:
                %4$s      securityContext:
                        runAsNonRoot: true
                        seccompProfile: {type: RuntimeDefault}
                      containers:
                        - name: app
                          image: registry.example.com/%1$s:1.4.2
                          readinessProbe:
                            httpGet: {path: /ready, port: 8080}
                          livenessProbe:
                            httpGet: {path: /live, port: 8080}
                          resources:
                            requests: {cpu: 100m, memory: 128Mi}
                            limits: {memory: 128Mi}
                          securityContext:
                            allowPrivilegeEscalation: false
                            readOnlyRootFilesystem: true
                            capabilities:
                              drop: [ALL]
                """.formatted(name, namespace == null ? "" : "  namespace: " + namespace + "\n", replicas, spreadBlock);
    }

    /** A PodDisruptionBudget selecting app=APP with the given spec line (e.g. "minAvailable: 3"). */
    static String budget(String name, String namespace, String app, String specLine) {
        return """
                apiVersion: policy/v1
                kind: PodDisruptionBudget
                metadata:
                  name: %s
                %sspec:
                  %s
                  selector:
                    matchLabels: {app: %s}
                """.formatted(name, namespace == null ? "" : "  namespace: " + namespace + "\n", specLine, app);
    }

    /** A Service selecting app=APP. */
    static String service(String name, String namespace, String app) {
        return """
                apiVersion: v1
                kind: Service
                metadata:
                  name: %s
                %sspec:
                  selector: {app: %s}
                  ports:
                    - port: 80
                      targetPort: 8080
                """.formatted(name, namespace == null ? "" : "  namespace: " + namespace + "\n", app);
    }
}
