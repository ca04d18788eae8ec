package dev.safeguard.e2e;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfigurationBuilder;

/** ValidatingWebhookConfigurations that point the API server at the webhook under test. */
final class WebhookRegistration {

    static final String WEBHOOK_NAME = "validate.safeguard.dev";

    private WebhookRegistration() {
    }

    /**
     * The same registration as the chart's (webhook name, rules, sideEffects, namespace exclusions), with a
     * URL clientConfig instead of a Service, and failurePolicy Fail: an e2e request that is admitted was
     * really admitted by the webhook, never let through because the API server could not reach it.
     */
    static ValidatingWebhookConfiguration minimal(String name, String url, String caBundle, String failurePolicy,
            LabelSelector namespaceSelector) {
        return new ValidatingWebhookConfigurationBuilder()
                .withNewMetadata().withName(name).endMetadata()
                .addNewWebhook()
                    .withName(WEBHOOK_NAME)
                    .withAdmissionReviewVersions("v1")
                    .withSideEffects("None")
                    .withFailurePolicy(failurePolicy)
                    .withTimeoutSeconds(5)
                    .withMatchPolicy("Equivalent")
                    .withNewClientConfig().withUrl(url).withCaBundle(caBundle).endClientConfig()
                    .withNamespaceSelector(namespaceSelector)
                    .addNewRule()
                        .withApiGroups("").withApiVersions("v1").withOperations("CREATE", "UPDATE")
                        .withResources("pods", "services").withScope("Namespaced")
                    .endRule()
                    .addNewRule()
                        .withApiGroups("apps").withApiVersions("v1").withOperations("CREATE", "UPDATE")
                        .withResources("deployments", "statefulsets", "daemonsets", "replicasets").withScope("Namespaced")
                    .endRule()
                    .addNewRule()
                        .withApiGroups("batch").withApiVersions("v1").withOperations("CREATE", "UPDATE")
                        .withResources("jobs", "cronjobs").withScope("Namespaced")
                    .endRule()
                    .addNewRule()
                        .withApiGroups("policy").withApiVersions("v1").withOperations("CREATE", "UPDATE")
                        .withResources("poddisruptionbudgets").withScope("Namespaced")
                    .endRule()
                .endWebhook()
                .build();
    }

    /** Every namespace but kube-system and those labelled safeguard.dev/ignore=true (as the chart does). */
    static LabelSelector allButIgnored() {
        return new LabelSelectorBuilder()
                .addNewMatchExpression().withKey("kubernetes.io/metadata.name").withOperator("NotIn")
                    .withValues("kube-system").endMatchExpression()
                .addNewMatchExpression().withKey("safeguard.dev/ignore").withOperator("NotIn")
                    .withValues("true").endMatchExpression()
                .build();
    }

    /** Only the namespace named. */
    static LabelSelector only(String namespace) {
        return new LabelSelectorBuilder()
                .addNewMatchExpression().withKey("kubernetes.io/metadata.name").withOperator("In")
                    .withValues(namespace).endMatchExpression()
                .build();
    }
}
