package io.github.kestrarotation.kestracheck;

import io.kestra.core.http.HttpRequest;
import io.kestra.core.http.HttpResponse;
import io.kestra.core.models.executions.Execution;
import io.kestra.core.models.flows.Flow;
import io.kestra.core.repositories.ExecutionRepositoryInterface;
import io.kestra.core.services.WebhookService;
import io.kestra.plugin.core.trigger.AbstractWebhookTrigger;
import io.kestra.plugin.core.trigger.WebhookContext;
import io.kestra.plugin.core.trigger.WebhookResponse;
import io.micronaut.context.ApplicationContext;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A webhook call, in process: what Kestra 1.3's webhook controller does for
 * {@code POST /api/v1/main/executions/webhook/NAMESPACE/FLOW/KEY} once it has the flow - find the
 * flow's webhook trigger whose rendered key is KEY, build the request, and hand both to the
 * trigger's own {@code evaluate}, which makes the execution ({@link WebhookService#newExecution},
 * so {@code trigger.body} is what Kestra makes of the body) and starts it. Not done: the HTTP
 * server itself, and the controller's refusal of a disabled trigger (the pack's webhook ships
 * {@code disabled: true}; this stands for the trigger once a user enables it).
 */
final class Webhooks {
    private Webhooks() {
    }

    /** Calls flow's webhook with key and a JSON body, and returns the execution once it ends (10 min at most). */
    static Execution call(ApplicationContext ctx, String tenant, Flow flow, String key, String body) throws Exception {
        WebhookService svc = ctx.getBean(WebhookService.class);
        AbstractWebhookTrigger trigger = null;
        for (var t : flow.getTriggers()) {
            if (t instanceof AbstractWebhookTrigger w && key.equals(svc.runContext(flow, w).render(w.getKey()))) {
                trigger = w;
            }
        }
        if (trigger == null) {
            throw new IllegalArgumentException("no webhook trigger of " + flow.getId() + " has this key");
        }
        String url = "/api/v1/" + tenant + "/executions/webhook/" + flow.getNamespace() + "/" + flow.getId() + "/" + key;
        HttpRequest req = HttpRequest.of(URI.create("http://localhost:8080" + url), "POST",
            HttpRequest.StringRequestBody.builder().content(body).contentType("application/json").build(),
            Map.of("Content-Type", List.of("application/json")));
        HttpResponse<?> resp = trigger.evaluate(WebhookContext.builder()
            // path: what follows the key in the URL (none here; the plain Webhook answers 404 to any)
            .request(req).path(null).flow(flow).trigger(trigger).webhookService(svc).build()).block(Duration.ofMinutes(1));
        if (resp == null || !(resp.getBody() instanceof WebhookResponse w)) {
            throw new IllegalStateException("webhook answered " + (resp == null ? "nothing" : resp.getStatus() + " " + resp.getBody()));
        }
        ExecutionRepositoryInterface repo = ctx.getBean(ExecutionRepositoryInterface.class);
        for (int i = 0; i < 6000; i++) {
            Execution e = repo.findById(tenant, w.id()).orElse(null);
            if (e != null && e.getState().isTerminated()) {
                return e;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("execution " + w.id() + " did not end within 10 minutes");
    }
}
