namespace Dllm.Packaging.Tests;

/// <summary>The tests that share one packed feed and installed tool.</summary>
[CollectionDefinition(Name)]
public sealed class PackagingCollection : ICollectionFixture<PackageFeed>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Packaging";
}
