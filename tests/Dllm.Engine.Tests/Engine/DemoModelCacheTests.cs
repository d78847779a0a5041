using System.Security.Cryptography;
using Dllm.Testing;

namespace Dllm.Tests.Engine;

public sealed class DemoModelCacheTests
{
    [Fact]
    public void The_cache_folder_is_named_after_the_embedded_weights_so_a_retrained_model_is_never_served_from_an_old_cache()
    {
        using var weights = File.OpenRead(Path.Combine(RepositoryFolder.Root, "models", "dllm-demo", "model.safetensors"));
        string hash = Convert.ToHexStringLower(SHA256.HashData(weights));

        Assert.Equal("demo-" + hash[..12], DemoModel.FolderName);
        Assert.Equal(Path.Combine(DllmCache.Root, DemoModel.FolderName), DemoModel.Directory);
    }

    [Fact]
    public async Task The_written_folder_holds_the_embedded_files_and_is_recognised_as_the_demo_model()
    {
        string directory = await DemoModel.EnsureAsync();

        Assert.True(DemoModel.IsDemoModel(directory));
        string root = RepositoryFolder.Root;
        foreach (string file in new[] { "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(root, "models", "dllm-demo", file)), File.ReadAllBytes(Path.Combine(directory, file)));
        Assert.False(DemoModel.IsDemoModel(root));
    }
}
