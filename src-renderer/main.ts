import { mount } from 'svelte';
import './styles/theme.css';
import './lib/ui/ui.css';
import App from './App.svelte';

mount(App, { target: document.getElementById('app')! });
