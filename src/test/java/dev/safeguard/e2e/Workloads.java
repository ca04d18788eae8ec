package dev.safeguard.e2e;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.CronJobBuilder;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Workloads whose controllers create Pods, built from the compliant sample's Pod template, and who owns what. */
final class Workloads {

    private Workloads() {
    }

    /** The compliant Deployment's Pod template, labelled app={@code name}. */
    static PodTemplateSpec compliantTemplate(String namespace, String name) {
        return Manifests.compliant(namespace, name).getSpec().getTemplate();
    }

    /** A DaemonSet of the compliant template on the Nodes {@link Nodes} makes (and no others). */
    static DaemonSet daemonSet(String namespace, String name) {
        return new DaemonSetBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).withLabels(Map.of("app", name)).endMetadata()
                .withNewSpec()
                .withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
                .withTemplate(new PodTemplateSpecBuilder(compliantTemplate(namespace, name))
                        .editSpec().withNodeSelector(Map.of(Nodes.LABEL, "true")).endSpec().build())
                .endSpec()
                .build();
    }

    /**
     * A CronJob of the compliant template (restartPolicy Never) every minute. Forbid: its Job never completes
     * here (no kubelet), so no second Job follows a minute later.
     */
    static CronJob everyMinute(String namespace, String name) {
        return new CronJobBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                .withNewSpec()
                .withSchedule("* * * * *")
                .withConcurrencyPolicy("Forbid")
                .withNewJobTemplate().withNewSpec().withBackoffLimit(0)
                .withTemplate(new PodTemplateSpecBuilder(compliantTemplate(namespace, name))
                        .editSpec().withRestartPolicy("Never").endSpec().build())
                .endSpec().endJobTemplate()
                .endSpec()
                .build();
    }

    /** The objects among {@code objects} whose controller (ownerReference with controller: true) is {@code owner}. */
    static <T extends HasMetadata> List<T> controlledBy(List<T> objects, HasMetadata owner) {
        return objects.stream().filter(o -> controller(o)
                .filter(ref -> ref.getKind().equals(owner.getKind()) && ref.getName().equals(owner.getMetadata().getName())
                        && ref.getUid().equals(owner.getMetadata().getUid()))
                .isPresent()).toList();
    }

    static Optional<OwnerReference> controller(HasMetadata object) {
        return object.getMetadata().getOwnerReferences().stream().filter(ref -> Boolean.TRUE.equals(ref.getController()))
                .findFirst();
    }

    /**
     * The Node a DaemonSet Pod is meant for: the DaemonSet controller leaves binding to the scheduler and pins
     * the Pod with a required node affinity on metadata.name.
     */
    static String targetNode(Pod pod) {
        return pod.getSpec().getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution()
                .getNodeSelectorTerms().get(0).getMatchFields().stream()
                .filter(field -> field.getKey().equals("metadata.name"))
                .map(field -> field.getValues().get(0)).findFirst()
                .orElseThrow(() -> new AssertionError("no metadata.name node affinity on " + pod.getMetadata().getName()));
    }
}
