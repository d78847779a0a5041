namespace Dllm.Server.Tests.Infrastructure;

/// <summary>Tests that start servers run one at a time (two CPU cores), sharing <see cref="ServerFixture"/> (and <see cref="ServeAppFixture"/> for <c>dllm serve</c>'s routes).</summary>
[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>, ICollectionFixture<ServeAppFixture>
{
    public const string Name = "server";
}
