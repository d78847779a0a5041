using System.Net;
using Dllm.Cli;
using Dllm.Server.Tests.Infrastructure;
using Dllm.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Dllm.Server.Tests.Diagnostics;

/// <summary><c>/metrics</c>: Prometheus text of the engine's and server's instruments with <c>AddDllmTelemetry()</c> (<c>--enable-metrics</c>), not served without.</summary>
[Collection(ServerCollection.Name)]
public class MetricsEndpointTests(ServeAppFixture serve)
{
    [Fact]
    public async Task After_one_generate_the_metrics_show_requests_tokens_first_block_and_steps_per_block()
    {
        await using var server = await DllmTestServer.StartAsync(
            TestEngines.Options(TinyModels.Random, maxRunningRequests: 2) with { ServedModelName = "metrics-model" },
            services: s => s.AddDllmTelemetry(t => t.Otlp = false),
            map: app => ServeHost.MapRoutes(app, cors: false));

        var generate = await server.Client.PostAsync("/generate", """{"text": "Hello metrics", "sampling_params": {"max_new_tokens": 40}}""");
        Assert.Equal(HttpStatusCode.OK, generate.StatusCode);
        var response = await server.Client.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        var samples = PrometheusText.Parse(await response.Content.ReadAsStringAsync());
        string model = "gen_ai_request_model=\"metrics-model\"";
        Assert.Equal(1, samples.Value("gen_ai_server_request_duration_seconds_count", model));
        Assert.True(samples.Value("gen_ai_server_request_duration_seconds_sum", model) > 0);
        Assert.Equal(1, samples.Value("gen_ai_server_time_to_first_token_seconds_count", model));
        Assert.True(samples.Value("gen_ai_server_time_to_first_token_seconds_sum", model) > 0);
        Assert.Equal(1, samples.Value("gen_ai_server_time_per_output_token_seconds_count", model)); // 40 tokens: two blocks of 32
        Assert.Equal(40, samples.Value("gen_ai_server_token_usage_sum", model, "gen_ai_token_type=\"output\""));
        Assert.True(samples.Value("gen_ai_server_token_usage_sum", model, "gen_ai_token_type=\"input\"") > 0);
        Assert.Equal(1, samples.Value("dllm_requests_total", model, "dllm_finish_reason=\"length\""));
        Assert.Equal(2, samples.Value("dllm_denoising_steps_per_block_count", model));
        Assert.True(samples.Value("dllm_denoising_steps_per_block_sum", model) >= 2);
        Assert.True(samples.Value("dllm_tokens_per_step_sum", model) >= 40);
        Assert.True(samples.Value("dllm_denoising_steps_total", model) >= 2);
        Assert.Equal(2, samples.Value("dllm_kv_slots_limit", model));
        Assert.Equal(2 * 1024 / 32, samples.Value("dllm_kv_pages_limit", model)); // two contexts of pages
        Assert.Equal(0, samples.Value("dllm_kv_pages_used", model));
        Assert.Equal(1, samples.Value("dllm_kv_pages_cached", model)); // the first block: prompt + output, clean
        Assert.Equal(2 * 1024 / 32 - 1, samples.Value("dllm_kv_pages_free", model));
        Assert.Equal(0, samples.Value("dllm_prefix_cache_hits_total", model));
        Assert.Equal(0, samples.Value("dllm_kv_retractions_total", model)); // one request: nothing to retract
        Assert.Equal(0, samples.Value("dllm_cuda_graph_captures_total", model)); // a CPU model: no graphs
        Assert.Equal(0, samples.Value("dllm_cuda_graph_evictions_total", model));
        Assert.Equal(0, samples.Value("dllm_requests_running", model));
        Assert.True(samples.Value("dllm_server_ready") >= 1); // every host of the test process shows here
    }

    [Fact]
    public async Task Without_enable_metrics_the_path_is_a_json_404()
    {
        var response = await serve.Server.Client.GetAsync("/metrics");

        Assert.Equal("not_found", (await response.ErrorAsync(HttpStatusCode.NotFound)).GetProperty("code").GetString());
    }

    [Fact]
    public void The_serve_flag_is_SGLangs()
    {
        var parse = DllmCommandLine.Build().Parse(["serve", "--enable-metrics"]);

        Assert.Empty(parse.Errors);
    }
}
