using Dllm.Samples.ScaleOut;

// A reverse proxy for several `dllm serve` replicas (appsettings.json lists them): every route goes to the cluster
// "dllm"; /health checks take a replica out and back in; a request with an X-Dllm-Conversation header stays on one
// replica while it lives (its prefix cache), the others go to the less busy of two replicas picked at random.
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddDllmScaleOut(builder.Configuration);
var app = builder.Build();
app.MapReverseProxy();
app.Run();
