/** A starting point for a new secret: the keys a service expects, and sometimes a name. */
export interface Template {
  id: string;
  label: string;
  name?: string;
  keys: string[];
}

export const templates: Template[] = [
  { id: "custom", label: "Custom", keys: [""] },
  { id: "openai", label: "OpenAI", keys: ["OPENAI_API_KEY"] },
  { id: "anthropic", label: "Anthropic", keys: ["ANTHROPIC_API_KEY"] },
  { id: "aws", label: "AWS", keys: ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"] },
  { id: "huggingface", label: "Hugging Face", name: "huggingface-secret", keys: ["HF_TOKEN"] },
  { id: "postgres", label: "PostgreSQL", keys: ["PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"] },
  { id: "mongodb", label: "MongoDB", keys: ["MONGODB_URI"] },
  { id: "wandb", label: "Weights & Biases", keys: ["WANDB_API_KEY"] },
];
