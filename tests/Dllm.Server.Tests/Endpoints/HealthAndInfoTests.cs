using System.Text.Json;
using System.Net;
using Dllm.Server.Tests.Infrastructure;
using Dllm.Testing;

namespace Dllm.Server.Tests.Endpoints;

[Collection(ServerCollection.Name)]
public class HealthAndInfoTests(ServerFixture fixture)
{
    private DllmTestServer Server => fixture.Server;

    [Theory]
    [InlineData("/health")]
    [InlineData("/health_generate")]
    public async Task Health_is_200_with_an_empty_body_after_a_one_token_generation(string path)
    {
        long steps = Server.Engine.DenoisingSteps;

        var response = await Server.Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
        Assert.Equal(steps + 1, Server.Engine.DenoisingSteps); // the probe's block has one masked slot: one step
    }

    [Fact]
    public async Task Model_info_names_the_model_directory()
    {
        var json = await (await Server.Client.GetAsync("/get_model_info")).JsonAsync();

        Assert.Equal(Path.GetFullPath(TinyModels.Peaked), json.GetProperty("model_path").GetString());
        Assert.Equal(Path.GetFullPath(TinyModels.Peaked), json.GetProperty("tokenizer_path").GetString());
        Assert.True(json.GetProperty("is_generation").GetBoolean());
        Assert.Equal("default", json.GetProperty("weight_version").GetString());
    }

    [Fact]
    public async Task Server_info_reports_the_effective_arguments_and_the_engine_state()
    {
        var json = await (await Server.Client.GetAsync("/get_server_info")).JsonAsync();

        Assert.Equal("LowConfidence", json.GetProperty("dllm_algorithm").GetString());
        Assert.Equal(32, json.GetProperty("dllm_algorithm_config").GetProperty("block_size").GetInt32());
        Assert.Equal(32, json.GetProperty("block_size").GetInt32());
        Assert.Equal(16, json.GetProperty("max_running_requests").GetInt32());
        Assert.Equal(2048, json.GetProperty("context_length").GetInt32());
        Assert.Equal(16 * 2048, json.GetProperty("max_total_tokens").GetInt32()); // as many pages as 16 contexts
        Assert.Equal(JsonValueKind.Null, json.GetProperty("mem_fraction_static").ValueKind);
        Assert.False(json.GetProperty("disable_radix_cache").GetBoolean());
        var kv = json.GetProperty("kv_cache");
        Assert.Equal(32, kv.GetProperty("page_size").GetInt32());
        Assert.Equal(16 * 2048 / 32, kv.GetProperty("total_pages").GetInt32());
        Assert.True(kv.GetProperty("prefix_cache").GetBoolean());
        var graphs = json.GetProperty("cuda_graphs"); // a CPU model: steps run op by op
        Assert.False(graphs.GetProperty("enabled").GetBoolean());
        Assert.Equal(0, graphs.GetProperty("batch_sizes").GetArrayLength());
        Assert.Equal(0, graphs.GetProperty("captured").GetInt32());
        Assert.Equal("float32", json.GetProperty("dtype").GetString());
        Assert.Equal("cpu", json.GetProperty("device").GetString());
        Assert.Equal(ServerFixture.BodyLimit, json.GetProperty("max_request_body_bytes").GetInt64());
        Assert.False(json.GetProperty("api_key_required").GetBoolean());
        Assert.False(json.GetProperty("demo_model").GetBoolean());
        Assert.Equal("ready", json.GetProperty("status").GetString());
        Assert.Equal(0, json.GetProperty("running_requests").GetInt32());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("version").GetString()));
    }

    [Fact]
    public async Task Models_lists_the_served_model()
    {
        var json = await (await Server.Client.GetAsync("/v1/models")).JsonAsync();

        Assert.Equal("list", json.GetProperty("object").GetString());
        var model = Assert.Single(json.GetProperty("data").EnumerateArray());
        Assert.Equal(Server.Engine.ModelName, model.GetProperty("id").GetString());
        Assert.Equal("model", model.GetProperty("object").GetString());
        Assert.Equal(Server.Engine.ModelName, model.GetProperty("root").GetString());
        Assert.Equal(2048, model.GetProperty("max_model_len").GetInt32());
        Assert.InRange(model.GetProperty("created").GetInt64(), DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
    }

    [Fact]
    public async Task The_host_app_keeps_its_own_routes_next_to_the_dllm_endpoints()
    {
        Assert.Equal("hello from the host app", await Server.Client.GetStringAsync("/hello"));
        Assert.Equal(HttpStatusCode.NotFound, (await Server.Client.GetAsync("/no_such_route")).StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await Server.Client.GetAsync("/generate")).StatusCode);
    }
}
