package dev.safeguard.admission;

import com.marcnuri.helm.Helm;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@link KubeApiServerResource} with the report CRDs the chart installs (rendered from helm/kube-safeguard with
 * Helm's engine, `crds.install=true`) created before the service starts, and the background audit switched on.
 */
public class AuditClusterResource extends KubeApiServerResource {

    /** Where the audit writes its reports (the default format): for tests that read them back. */
    public static final ResourceDefinitionContext POLICY_REPORTS = new ResourceDefinitionContext.Builder()
            .withGroup("wgpolicyk8s.io").withVersion("v1alpha2").withKind("PolicyReport").withPlural("policyreports")
            .withNamespaced(true).build();

    @Override
    public Map<String, String> start() {
        Map<String, String> config = super.start();
        if (!"true".equals(config.get("safeguard.context.enabled"))) {
            return config;
        }
        try (KubernetesClient client = new KubernetesClientBuilder()
                .withConfig(Config.fromKubeconfig(Files.readString(Path.of(System.getProperty("kubeconfig"))))).build()) {
            installReportCrds(client);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of("safeguard.context.enabled", "true", "safeguard.audit.enabled", "true",
                "safeguard.audit.interval", "100ms", "safeguard.policy.path", teamRoutedPolicy().toString());
    }

    /** The built-in rules enforced, with the namespace label {@code team} routing metrics and reports. */
    static Path teamRoutedPolicy() {
        Path file = Path.of("target", "audit-test-policy.yaml").toAbsolutePath();
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, """
                    apiVersion: safeguard.dev/v1alpha1
                    kind: SafeguardPolicy
                    metadata: {name: audit-test}
                    spec:
                      mode: enforce
                      teamLabel: team
                    """);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /** Creates the report CRDs the chart renders with crds.install=true, and waits until they are served. */
    public static void installReportCrds(KubernetesClient client) {
        String rendered = new Helm(Path.of("helm/kube-safeguard")).template().withName("audit-test")
                .withNamespace("kube-safeguard").withKubeVersion("1.35.8").set("crds.install", "true").call();
        List<HasMetadata> crds = client.load(new ByteArrayInputStream(rendered.getBytes(StandardCharsets.UTF_8)))
                .items().stream().filter(object -> "CustomResourceDefinition".equals(object.getKind())).toList();
        if (crds.isEmpty()) {
            throw new IllegalStateException("the chart rendered no CustomResourceDefinition with crds.install=true");
        }
        for (HasMetadata crd : crds) {
            client.resource(crd).serverSideApply();
        }
        for (HasMetadata crd : crds) {
            client.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName())
                    .waitUntilCondition(c -> c != null && c.getStatus() != null && c.getStatus().getConditions().stream()
                            .anyMatch(condition -> "Established".equals(condition.getType())
                                    && "True".equals(condition.getStatus())), 30, TimeUnit.SECONDS);
        }
    }
}
