namespace Dllm.Server.Tests.Infrastructure;

/// <summary>Tests that start servers run one at a time (two CPU cores), sharing <see cref="ServerFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>
{
    public const string Name = "server";
}
