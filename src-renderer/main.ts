import { mount } from 'svelte';
import './styles/theme.css';
import './lib/ui/ui.css';
import App from './App.svelte';
import { installFileDrop } from './lib/api/index.ts';
import { workbench } from './lib/state/workbench.svelte.ts';

mount(App, { target: document.getElementById('app')! });

// Files and folders dropped on the window are opened or imported (desktop app only; see lib/api).
installFileDrop((message) => workbench.notify(message, 'error'));
