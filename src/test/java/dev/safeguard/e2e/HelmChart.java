package dev.safeguard.e2e;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The project's Helm chart rendered with Helm's own engine (helm-java: `helm template` through JNI), for
 * the e2e suite: the registration of the webhook under test, and the default render applied to the API server.
 */
final class HelmChart {

    static final Path DIRECTORY = Path.of("helm", "kube-safeguard");
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private HelmChart() {
    }

    /** `helm template <release> helm/kube-safeguard -n <namespace> --kube-version <server> --set k=v...`, as objects. */
    static List<GenericKubernetesResource> render(String release, String namespace, Map<String, String> sets) {
        TemplateCommand template = new Helm(DIRECTORY).template().withName(release).withNamespace(namespace)
                // helm-java's engine assumes Kubernetes 1.20 without a cluster; render for the one under test.
                .withKubeVersion(LocalBinariesCluster.kubernetesVersion());
        sets.forEach(template::set);
        String rendered = template.call();
        List<GenericKubernetesResource> objects = new ArrayList<>();
        for (String document : rendered.split("(?m)^---\\s*$")) {
            if (document.lines().anyMatch(line -> line.startsWith("kind:"))) {
                objects.add(SERIALIZATION.unmarshal(document, GenericKubernetesResource.class));
            }
        }
        return objects;
    }

    /**
     * The chart's ValidatingWebhookConfiguration for a webhook running outside the cluster: rendered with
     * webhook.url, tls.mode=existingSecret and the test CA as tls.existingSecret.caBundle, plus {@code sets}.
     */
    static ValidatingWebhookConfiguration registration(String release, String url, String caBundle, Map<String, String> sets) {
        Map<String, String> values = new java.util.LinkedHashMap<>(Map.of(
                "webhook.url", url,
                "tls.mode", "existingSecret",
                "tls.existingSecret.name", release + "-tls",
                "tls.existingSecret.caBundle", caBundle));
        values.putAll(sets);
        List<GenericKubernetesResource> configurations = render(release, "kube-safeguard", values).stream()
                .filter(o -> "ValidatingWebhookConfiguration".equals(o.getKind())).toList();
        if (configurations.size() != 1) {
            throw new IllegalStateException("the chart rendered " + configurations.size() + " ValidatingWebhookConfigurations");
        }
        ValidatingWebhookConfiguration configuration = SERIALIZATION.convertValue(configurations.get(0),
                ValidatingWebhookConfiguration.class);
        for (ValidatingWebhook webhook : configuration.getWebhooks()) {
            if (!url.equals(webhook.getClientConfig().getUrl()) || webhook.getClientConfig().getService() != null) {
                throw new IllegalStateException("webhook.url did not reach the clientConfig: " + webhook.getClientConfig());
            }
        }
        return configuration;
    }

    static boolean present() {
        return Files.isRegularFile(DIRECTORY.resolve("Chart.yaml"));
    }

    static String describe(HasMetadata object) {
        return object.getKind() + " " + (object.getMetadata().getNamespace() == null ? ""
                : object.getMetadata().getNamespace() + "/") + object.getMetadata().getName();
    }
}
