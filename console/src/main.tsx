import { render } from 'preact';
import { App } from './app.tsx';
import { loadConfig } from './config.ts';
import './styles.css';

const root = document.getElementById('app')!;
loadConfig().then(
  (config) => render(<App config={config} />, root),
  (e: Error) => {
    root.textContent = `The console cannot start: ${e.message}`;
  },
);
